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

/** A `ws` socket with a page's WebSocket.close rule, injected into the session as its socket (client/peer/socket.ts). */
class BrowserLikeSocket implements PeerSocket {
  onopen: PeerSocket['onopen'] = null;
  onmessage: PeerSocket['onmessage'] = null;
  onclose: PeerSocket['onclose'] = null;
  onerror: PeerSocket['onerror'] = null;
  private readonly ws: WebSocket;

  constructor(
    url: string,
    private readonly closes: number[],
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.onopen = (ev) => this.onopen?.(ev);
    this.ws.onmessage = (ev) => this.onmessage?.({ data: ev.data });
    this.ws.onclose = (ev) => this.onclose?.({ code: ev.code, reason: ev.reason });
    this.ws.onerror = (ev) => this.onerror?.(ev);
  }

  get binaryType(): string {
    return this.ws.binaryType;
  }
  set binaryType(t: string) {
    this.ws.binaryType = t as WebSocket['binaryType'];
  }
  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: Uint8Array): void {
    this.ws.send(data);
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
    this.closes.push(code ?? 1000);
    this.ws.close(code, reason);
  }
}

describe('a peer that fails a task', () => {
  it('closes with a status a browser allows, reconnects, and the run loses nothing', async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', optimizer: 'sgd', batchSize: BATCH, steps: 10, seed: 3, minPeers: 2 }, 1);
    const { token, wsUrl, origin } = joinParts(h.c.localJoinUrl);
    const closes: number[] = [];
    let failed = false;
    const run = h.c.run;
    // The run's trace says when the flaky peer is ready on its second connection (it came back).
    const back = new Promise<void>((resolve) => {
      const off = run.trace.subscribe((e) => {
        if (e.type === 'peer-ready' && e.nickname === 'flaky' && e.connections === 2) {
          off();
          resolve();
        }
      });
    });
    const session = new PeerSession({
      url: wsUrl,
      hello: { token, kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: 'flaky', codecs: SUPPORTED_CODECS },
      socket: (url) => new BrowserLikeSocket(url, closes),
      resolveUrl: (path) => new URL(path, origin).toString(),
      // The session's hook at a computed gradient (client/peer/trace.ts): its first training task fails there, once,
      // as a lost WebGL context would (the task's promise rejects; the session closes with PEER_FAILED).
      trace: {
        gradientReady: () => {
          if (failed) return;
          failed = true;
          // Hold the run at the next step boundary until the peer is back, so it is seen to work again.
          run.pause();
          throw new Error('WebGL context lost');
        },
      },
    });
    h.peers.push(session);
    session.start();
    try {
      const record = () => [...run.peers.values()].find((p) => p.nickname === 'flaky');
      await back;
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
