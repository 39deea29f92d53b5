import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { PeerConnections } from '../../coordinator/server/peerConnections';
import type { TrainingCoordinator } from '../../coordinator/run/coordinator';
import { encodeHello } from '../../shared/protocol';

/**
 * A peer that stops reading its socket: everything the coordinator sends it
 * queues in the coordinator's memory (ws `bufferedAmount`). The queue is
 * bounded: past it the connection is cut and the peer leaves (it may come
 * back with its token). Real ws on loopback; the client pauses its TCP
 * socket so nothing is read.
 */
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** Just what PeerConnections asks of the run for a HELLO and a departure. */
function fakeRun(left: string[]): TrainingCoordinator {
  const record = { id: 'p1', nickname: 'reader', kind: 'node', backend: 'cpu', reconnectToken: 'r', connections: 1 };
  return { join: () => record, leave: (id: string) => void left.push(id) } as unknown as TrainingCoordinator;
}

describe('bounded send queue per peer socket', () => {
  it('a peer that does not read is cut once 1 MB is queued: the queue never holds more, the run is told it left', async () => {
    const left: string[] = [];
    const logs: string[] = [];
    const MAX = 1 << 20;
    const pc = new PeerConnections(fakeRun(left), { joinToken: 't', maxPayload: 64 * 1024, maxQueuedBytes: MAX, welcome: () => ({}) as never, log: (l) => logs.push(l) });
    const server = createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    pc.attach(wss);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => (wss.close(), server.close(() => r()))));
    const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await new Promise((r) => client.once('open', r));
    const closed = new Promise<number>((r) => client.once('close', r));
    const ws = await serverSide;
    const welcomed = new Promise((r) => client.once('message', r));
    client.send(encodeHello({ token: 't', kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: 'reader', reconnectToken: '', codecs: [1] }));
    await welcomed;
    // The peer stops reading: the kernel's buffers fill, then ws queues in the coordinator.
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    const frame = new Uint8Array(256 * 1024);
    let maxQueued = 0;
    let sends = 0;
    // 100 MB offered; each send waits for the previous write to reach the socket (an event, not a sleep).
    while (ws.readyState === ws.OPEN && sends < 400) {
      pc.send('p1', frame);
      sends++;
      maxQueued = Math.max(maxQueued, ws.bufferedAmount);
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(ws.readyState).not.toBe(ws.OPEN);
    expect(maxQueued).toBeLessThanOrEqual(MAX);
    expect(sends).toBeLessThan(400);
    await new Promise<void>((r) => (ws.readyState === ws.CLOSED ? r() : ws.once('close', () => r())));
    expect(left).toEqual(['p1']);
    expect(logs.some((l) => /peer p1 is not reading: \d+ bytes queued unread \(bound 1048576\)/.test(l))).toBe(true);
    client.terminate();
    await closed;
  }, 60_000);
});
