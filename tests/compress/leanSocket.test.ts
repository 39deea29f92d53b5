import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { LeanSocket, MaskedTail } from '../../bench/replay/leanSocket';

/**
 * The replay peers' WebSocket client keeps only the head of each message
 * and sends a shared pre-masked tail: against the `ws` server the
 * coordinator uses, the bytes must arrive as sent, and a server's
 * fragmented, pinged or closed connection must read as the protocol says.
 */
interface Received {
  head: Uint8Array;
  length: number;
}

function lean(url: string, keep: (code: number) => number): { s: LeanSocket; opened: Promise<void>; messages: Received[]; next: () => Promise<Received>; closed: Promise<number> } {
  const messages: Received[] = [];
  let waiting: ((m: Received) => void) | null = null;
  let opened!: () => void;
  let closed!: (code: number) => void;
  const s = new LeanSocket(url, {
    keep,
    open: () => opened(),
    message: (head, length) => {
      const m = { head, length };
      if (waiting) {
        waiting(m);
        waiting = null;
      } else messages.push(m);
    },
    close: (code) => closed(code),
  });
  return {
    s,
    messages,
    opened: new Promise((r) => (opened = r)),
    closed: new Promise((r) => (closed = r)),
    next: () => (messages.length ? Promise.resolve(messages.shift()!) : new Promise((r) => (waiting = r))),
  };
}

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('LeanSocket against the ws server', () => {
  let wss: WebSocketServer | null = null;
  afterEach(async () => {
    await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
    wss = null;
  });

  /** A ws server and a LeanSocket connected to it: the client's handles and the server's side of the connection. */
  async function connected(keep: (code: number) => number): Promise<{ c: ReturnType<typeof lean>; ws: WebSocket }> {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await new Promise((r) => wss!.once('listening', r));
    const conn = new Promise<WebSocket>((r) => wss!.once('connection', r));
    const c = lean(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws?x=1`, keep);
    await c.opened;
    return { c, ws: await conn };
  }

  it('keeps the first keep(code) bytes of a fragmented message and counts the rest', async () => {
    const { c, ws } = await connected((code) => (code === 7 ? 40 : Infinity));
    const big = bytes(300_000, 7);
    big[0] = 7;
    // Three fragments, as the coordinator sends a TASK: header, shared weights, padding.
    ws.send(big.subarray(0, 36), { fin: false, binary: true });
    ws.send(big.subarray(36, 299_998), { fin: false, binary: true });
    ws.send(big.subarray(299_998), { fin: true, binary: true });
    ws.send(Uint8Array.of(3, 1, 2), { binary: true });
    const a = await c.next();
    expect(a.length).toBe(300_000);
    expect([...a.head]).toEqual([...big.subarray(0, 40)]);
    const b = await c.next();
    expect([...b.head]).toEqual([3, 1, 2]);
    expect(b.length).toBe(3);
    c.s.close(1000, 'bye');
  });

  it('sends masked frames the server reads byte for byte, the shared tail untouched', async () => {
    const { c, ws } = await connected(() => Infinity);
    const got: Buffer[] = [];
    ws.on('message', (d: Buffer) => got.push(d));
    const message = bytes(70_000, 3);
    const t = new MaskedTail(message, 20);
    const tailBefore = Buffer.from(t.tail);
    const head = bytes(20, 99);
    c.s.sendWithHead(t, head);
    c.s.sendWithHead(t, message.subarray(0, 20));
    c.s.send(Uint8Array.of(1, 2, 3, 4, 5));
    await expect.poll(() => got.length).toBe(3);
    expect([...got[0]!.subarray(0, 20)]).toEqual([...head]);
    expect(Buffer.compare(got[0]!.subarray(20), Buffer.from(message.subarray(20)))).toBe(0);
    expect(Buffer.compare(got[1]!, Buffer.from(message))).toBe(0);
    expect([...got[2]!]).toEqual([1, 2, 3, 4, 5]);
    expect(Buffer.compare(t.tail, tailBefore)).toBe(0);
    c.s.close(1000, 'bye');
  });

  it('answers a ping and reports the close code the server sends', async () => {
    const { c, ws } = await connected(() => Infinity);
    const pong = new Promise<Buffer>((r) => ws.once('pong', r));
    ws.ping(Buffer.from('hi'));
    expect((await pong).toString()).toBe('hi');
    const serverSaw = new Promise<number>((r) => ws.once('close', r));
    ws.close(4000, 'coordinator shut down');
    expect(await c.closed).toBe(4000);
    expect(await serverSaw).toBe(4000);
    expect(c.s.isOpen).toBe(false);
  });
});

describe('LeanSocket reading a byte stream cut anywhere', () => {
  let raw: Server | null = null;
  afterEach(() => raw?.close());

  it('reads a 64-bit-length frame whose header and payload arrive one byte per read', async () => {
    let sock!: Socket;
    raw = createServer((s) => {
      sock = s;
      s.setNoDelay(true);
      s.once('data', (req) => {
        const key = /Sec-WebSocket-Key: (\S+)/i.exec(req.toString())![1]!;
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      });
    });
    await new Promise<void>((r) => raw!.listen(0, '127.0.0.1', r));
    const c = lean(`ws://127.0.0.1:${(raw.address() as AddressInfo).port}/ws`, () => 4);
    await c.opened;
    const payload = bytes(70_000, 5);
    const header = Buffer.alloc(10);
    header[0] = 0x82;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
    for (const b of header) {
      sock.write(Uint8Array.of(b));
      await new Promise((r) => setTimeout(r, 2));
    }
    for (let i = 0; i < 6; i++) {
      sock.write(payload.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 2));
    }
    sock.write(payload.subarray(6));
    const m = await c.next();
    expect(m.length).toBe(70_000);
    expect([...m.head]).toEqual([...payload.subarray(0, 4)]);
    sock.destroy();
    expect(await c.closed).toBe(1006);
  });
});
