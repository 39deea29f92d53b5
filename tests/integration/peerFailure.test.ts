import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { joinParts } from '../../client/node/nodePeer';
import { PeerSession } from '../../client/peer/session';
import type { PeerSocket } from '../../client/peer/socket';
import { SUPPORTED_CODECS } from '../../shared/compress';
import { CloseStatus } from '../../shared/errors';
import { startHarness } from './harness';

/**
 * A peer whose gradient computation throws (a lost WebGL context, a kernel
 * its backend lacks) closes its connection itself, so its shard is
 * reassigned at once, and comes back. In a page, WebSocket.close accepts only
 * 1000 and 3000-4999 and throws on anything else (leaving the socket open and
 * the shard waiting for its deadline): the socket here enforces that rule.
 */
const BATCH = 40;

function browserLike(url: string, closes: number[]): PeerSocket {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const close = ws.close.bind(ws);
  (ws as unknown as { close: (code?: number, reason?: string) => void }).close = (code?: number, reason?: string) => {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
    closes.push(code ?? 1000);
    close(code, reason);
  };
  return ws as unknown as PeerSocket;
}

describe('a peer that fails a task', () => {
  it('closes with a status a browser allows, reconnects, and the run loses nothing', async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', optimizer: 'sgd', batchSize: BATCH, steps: 10, seed: 3, minPeers: 2 }, 1);
    const { token, wsUrl, origin } = joinParts(h.c.localJoinUrl);
    const closes: number[] = [];
    let failed = false;
    const session = new PeerSession({
      url: wsUrl,
      hello: { token, kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: 'flaky', codecs: SUPPORTED_CODECS },
      socket: (url) => browserLike(url, closes),
      resolveUrl: (path) => new URL(path, origin).toString(),
      onChange: (s) => {
        // Once ready, its next gradient throws, once.
        const t = session.currentTrainer;
        if (!t || failed || s.state !== 'computing') return;
        failed = true;
        const real = t.gradient.bind(t);
        t.gradient = async () => {
          t.gradient = real;
          // Hold the run at the next step boundary until the peer is back, so it is seen to work again.
          h.c.run.pause();
          throw new Error('WebGL context lost');
        };
      },
    });
    h.peers.push(session);
    session.start();
    try {
      const run = h.c.run;
      const record = () => [...run.peers.values()].find((p) => p.nickname === 'flaky');
      for (let i = 0; i < 600 && !(failed && record()?.connections === 2 && record()?.status === 'ready'); i++) await new Promise((r) => setTimeout(r, 50));
      run.resume();
      expect(await h.done).toBe('completed');
      const flaky = record()!;
      expect(failed).toBe(true);
      expect(closes).toContain(CloseStatus.PEER_FAILED);
      expect(flaky.connections).toBe(2);
      expect(run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: 10 * BATCH })]);
      expect(run.history.every((x) => x.samples === BATCH)).toBe(true);
      expect(run.history.at(-1)!.peers).toBe(2); // it came back and worked to the end
    } finally {
      await h.close();
    }
  });
});
