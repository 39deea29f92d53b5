import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * The replay peers' WebSocket client (RFC 6455, plain ws:// only), built so
 * that hundreds of peers in one process cost next to nothing per step:
 *
 * - Incoming bytes land in one read buffer shared by every socket of the
 *   process (`onread`), and of each message only its first `keep(code)` bytes
 *   are copied out; the rest (the weights of a TASK) is counted and dropped,
 *   never assembled. The `ws` package would assemble, copy and concatenate
 *   every fragment of every message.
 * - A large outgoing message that is the same for every peer (the replayed
 *   gradient) is masked once (`MaskedTail`) and written as is after a small
 *   per-send head; no copy per send. The mask is random and non-zero, so the
 *   server unmasks it as it would a browser's frame.
 *
 * Pings are answered, a close is echoed; text frames and extensions are not used.
 */
export interface LeanSocketHandlers {
  /** How many leading bytes to keep of a message whose first byte is `code`. */
  keep(code: number): number;
  open(): void;
  /** `head`: the kept bytes; `length`: the whole message's length. */
  message(head: Uint8Array, length: number): void;
  /** The connection ended (1006: without a close frame, or before it opened). */
  close(code: number): void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { CONTINUATION: 0, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;
/** One read buffer for every socket of the process: reads are handled one at a time, and what is kept is copied out. */
const READ_BUFFER = Buffer.allocUnsafe(1 << 20);
/** The process's masking key: random, never zero (a zero key would spare the server its unmasking). */
const MASK = (() => {
  const m = randomBytes(4);
  m[0] |= 1;
  return m;
})();

function mask(src: Uint8Array, dst: Uint8Array, dstAt: number, maskOffset: number): void {
  for (let i = 0; i < src.length; i++) dst[dstAt + i] = src[i]! ^ MASK[(i + maskOffset) & 3]!;
}

/** The client frame header of a final frame: opcode, masked length, key. */
function frameHeader(opcode: number, length: number): Buffer {
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const h = Buffer.allocUnsafe(2 + ext + 4);
  h[0] = 0x80 | opcode;
  h[1] = 0x80 | (ext === 0 ? length : ext === 2 ? 126 : 127);
  if (ext === 2) h.writeUInt16BE(length, 2);
  if (ext === 8) h.writeBigUInt64BE(BigInt(length), 2);
  MASK.copy(h, 2 + ext);
  return h;
}

/** A message whose bytes after the first `headBytes` are the same for every send: masked once, written as is. */
export class MaskedTail {
  readonly tail: Buffer;
  constructor(
    readonly message: Uint8Array,
    readonly headBytes: number,
  ) {
    this.tail = Buffer.allocUnsafe(message.byteLength - headBytes);
    mask(message.subarray(headBytes), this.tail, 0, headBytes);
  }
}

export class LeanSocket {
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private handshake: Buffer | null = Buffer.alloc(0);
  private open = false;
  private closed = false;
  private endReported = false;
  // Frame being read.
  private header = Buffer.allocUnsafe(14);
  private headerHave = 0;
  private opcode = 0;
  private fin = false;
  private remaining = 0;
  private inFrame = false;
  // Message being read (data frames), and the control frame being read.
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private keepLimit = -1;
  private length = 0;
  private control: Buffer[] = [];

  constructor(
    url: string,
    private readonly h: LeanSocketHandlers,
  ) {
    const u = new URL(url);
    if (u.protocol !== 'ws:') throw new Error(`LeanSocket speaks ws:// only, not ${u.protocol}`);
    this.socket = connect({
      host: u.hostname,
      port: Number(u.port || 80),
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => (this.onBytes(buf.subarray(0, n)), true) },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', () => undefined); // 'close' follows
    this.socket.on('close', () => this.ended(1006));
  }

  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  /** One binary message (masked into a copy: for small messages). */
  send(message: Uint8Array): void {
    if (!this.isOpen) return;
    this.socket.write(Buffer.concat([frameHeader(OP.BINARY, message.byteLength), maskCopy(message)]));
  }

  /** `t.message` with its first `head.length` (= t.headBytes) bytes replaced by `head`; the shared tail is not copied. */
  sendWithHead(t: MaskedTail, head: Uint8Array): void {
    if (!this.isOpen) return;
    const h = frameHeader(OP.BINARY, t.message.byteLength);
    const first = Buffer.allocUnsafe(h.length + t.headBytes);
    h.copy(first);
    mask(head, first, h.length, 0);
    this.socket.cork();
    this.socket.write(first);
    this.socket.write(t.tail);
    this.socket.uncork();
  }

  close(code: number, reason: string): void {
    if (!this.isOpen) {
      this.socket.destroy();
      return;
    }
    this.sendClose(code, reason);
    this.socket.end();
  }

  private sendClose(code: number, reason: string): void {
    // A close frame's body is at most 125 bytes: the code and 123 of reason (write() stops at a whole character).
    const body = Buffer.alloc(2 + Math.min(123, Buffer.byteLength(reason)));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.socket.write(Buffer.concat([frameHeader(OP.CLOSE, body.length), maskCopy(body)]));
    this.closed = true;
  }

  /** Once per socket, opened or not (a refused handshake ends it too). */
  private ended(code: number): void {
    this.open = false;
    if (this.endReported) return;
    this.endReported = true;
    this.h.close(code);
  }

  private fault(code: number, why: string): void {
    this.close(code, why);
    this.ended(code);
  }

  private onBytes(b: Uint8Array): void {
    if (this.handshake) return this.onHandshake(b);
    let at = 0;
    while (at < b.length && !this.closed) {
      if (!this.inFrame) at = this.readHeader(b, at);
      else {
        const n = Math.min(this.remaining, b.length - at);
        this.payload(b.subarray(at, at + n));
        at += n;
        this.remaining -= n;
        if (this.remaining === 0) this.frameDone();
      }
    }
  }

  private onHandshake(b: Uint8Array): void {
    const all = Buffer.concat([this.handshake!, b]);
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) {
      this.handshake = all;
      return;
    }
    const head = all.subarray(0, end).toString('latin1');
    const accept = createHash('sha1').update(this.key + GUID).digest('base64');
    this.handshake = null;
    if (!/^HTTP\/1\.1 101 /.test(head) || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
      this.socket.destroy();
      return;
    }
    this.open = true;
    this.h.open();
    if (all.length > end + 4) this.onBytes(all.subarray(end + 4));
  }

  /** Copies header bytes until the header is whole (2, 4 or 10 bytes; servers do not mask), then starts the payload. */
  private readHeader(b: Uint8Array, at: number): number {
    const need = (): number => (this.headerHave < 2 ? 2 : 2 + ((this.header[1]! & 0x7f) === 126 ? 2 : (this.header[1]! & 0x7f) === 127 ? 8 : 0));
    while (at < b.length && this.headerHave < need()) this.header[this.headerHave++] = b[at++]!;
    if (this.headerHave < need()) return at;
    const len7 = this.header[1]! & 0x7f;
    this.fin = (this.header[0]! & 0x80) !== 0;
    this.opcode = this.header[0]! & 0x0f;
    this.remaining = len7 === 126 ? this.header.readUInt16BE(2) : len7 === 127 ? Number(this.header.readBigUInt64BE(2)) : len7;
    this.headerHave = 0;
    this.inFrame = true;
    if (this.header[1]! & 0x80) this.fault(1002, 'server frames must not be masked');
    else if (this.opcode === OP.BINARY || this.opcode === OP.CONTINUATION) {
      if ((this.opcode === OP.BINARY) !== (this.keepLimit < 0)) this.fault(1002, 'unexpected continuation or unfinished message');
      else if (this.opcode === OP.BINARY) this.keepLimit = 0; // known at the first payload byte
    } else if (this.opcode === OP.CLOSE || this.opcode === OP.PING || this.opcode === OP.PONG) {
      if (this.remaining > 125 || !this.fin) this.fault(1002, 'bad control frame');
    } else this.fault(1003, `opcode ${this.opcode} is not used by this protocol`);
    if (this.remaining === 0 && !this.closed) this.frameDone();
    return at;
  }

  private payload(part: Uint8Array): void {
    if (this.opcode >= OP.CLOSE) {
      this.control.push(Buffer.from(part));
      return;
    }
    if (this.length === 0 && part.length > 0) this.keepLimit = this.h.keep(part[0]!);
    const take = Math.min(part.length, this.keepLimit - this.keptBytes);
    if (take > 0) {
      this.kept.push(Buffer.from(part.subarray(0, take)));
      this.keptBytes += take;
    }
    this.length += part.length;
  }

  private frameDone(): void {
    this.inFrame = false;
    if (this.opcode >= OP.CLOSE) {
      const body = Buffer.concat(this.control);
      this.control = [];
      if (this.opcode === OP.PING) this.socket.write(Buffer.concat([frameHeader(OP.PONG, body.length), maskCopy(body)]));
      else if (this.opcode === OP.CLOSE) {
        const code = body.length >= 2 ? body.readUInt16BE(0) : 1005;
        if (!this.closed) this.sendClose(code === 1005 ? 1000 : code, '');
        this.socket.end();
        this.ended(code);
      }
      return;
    }
    if (!this.fin) return;
    const head = new Uint8Array(Buffer.concat(this.kept, this.keptBytes));
    const length = this.length;
    this.kept = [];
    this.keptBytes = 0;
    this.keepLimit = -1;
    this.length = 0;
    this.h.message(head, length);
  }
}

function maskCopy(b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  mask(b, out, 0, 0);
  return out;
}
