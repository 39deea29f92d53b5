import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startHarness, type Harness } from '../integration/harness';

/**
 * Each of these once killed the coordinator ("Unhandled 'error' event" from
 * the PeerJS sub-app or a socket) or let a stranger in: one unauthenticated
 * message to a WebSocket route. Now that one socket is closed and the run,
 * started after all of them, finishes with exact accounting.
 */
const STEPS = 6;
const BATCH = 32;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: STEPS, batchSize: BATCH, minPeers: 1 }, 0);
});
afterAll(async () => h?.close());

interface Opened {
  ws: WebSocket;
  /** The close code, or the HTTP status of a refused upgrade. */
  closed: Promise<number>;
}

function open(path: string): Promise<Opened> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.c.port}${path}`);
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('error', () => undefined);
    ws.on('open', () => resolve({ ws, closed }));
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ ws, closed: Promise.resolve(res.statusCode ?? 0) });
    });
  });
}

/** A text frame whose payload is not UTF-8 (0xc3 0x28). */
const invalidUtf8 = (ws: WebSocket): void => ws.send(Buffer.from([0xc3, 0x28]), { binary: false });
const peerjs = (id: string, t = ''): string => `/peerjs?key=peerjs&id=${id}&token=xyz${t ? `&t=${t}` : ''}`;

describe('one WebSocket message cannot stop the run', () => {
  it.each([
    ['text that is not JSON to /peerjs (join token held)', 'p1', (ws: WebSocket) => ws.send('not json'), 1003],
    ['a binary frame to /peerjs', 'p2', (ws: WebSocket) => ws.send(Buffer.from([1, 2, 3])), 1003],
    ['invalid UTF-8 to /peerjs', 'p3', invalidUtf8, 1007],
    ['1 MB of JSON to /peerjs', 'p4', (ws: WebSocket) => ws.send(JSON.stringify({ type: 'OFFER', pad: 'x'.repeat(1 << 20) })), 1009],
  ])('%s closes that socket', async (_name, id, attack, code) => {
    const { ws, closed } = await open(peerjs(id, h.c.joinToken));
    expect(ws.readyState).toBe(ws.OPEN);
    attack(ws);
    expect(await closed).toBe(code);
  });

  it.each([
    ['invalid UTF-8 to /dashboard/ws with a wrong token', '/dashboard/ws?admin=wrong'],
    ['invalid UTF-8 to /ws before HELLO', '/ws'],
  ])('%s', async (_name, path) => {
    const { ws, closed } = await open(path);
    if (ws.readyState === ws.OPEN) invalidUtf8(ws);
    expect(await closed).toBeGreaterThan(1000);
  });

  it('the PeerJS route refuses a stranger without the join token: no id, no socket', async () => {
    expect((await fetch(`http://127.0.0.1:${h.c.port}/peerjs/peerjs/id`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${h.c.port}/peerjs/peerjs/id?t=wrong`)).status).toBe(403);
    expect(await (await open(peerjs('s1'))).closed).toBe(403);
    expect(await (await open(peerjs('s2', 'wrong'))).closed).toBe(403);
    expect((await fetch(`http://127.0.0.1:${h.c.port}/peerjs/peerjs/id?t=${h.c.joinToken}`)).status).toBe(200);
  });

  it('after all that, the run trains with exact accounting, and the PeerJS route closes with it', async () => {
    const held = await open(peerjs('late', h.c.joinToken));
    expect(held.ws.readyState).toBe(held.ws.OPEN);
    h.addPeer();
    expect(await h.done).toBe('completed');
    expect(h.c.run.step).toBe(STEPS);
    expect(h.c.run.accounting[0]!.samplesUsed).toBe(STEPS * BATCH);
    await held.closed;
    expect(await (await open(peerjs('after', h.c.joinToken))).closed).toBe(403);
  });
});
