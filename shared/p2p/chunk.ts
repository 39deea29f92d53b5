import { fail } from '../errors';

/**
 * Chunking and reassembly of binary messages on a WebRTC data channel,
 * within browser limits. PeerJS (serialization 'binary') splits messages at
 * 16,300 bytes and Chrome refuses a message over 256 KiB, so `--p2p` sends
 * with serialization 'raw' and cuts every message itself, into chunks of
 * DEFAULT_CHUNK_BYTES (at most MAX_CHUNK_BYTES):
 *
 *   byte 0      CHUNK_MAGIC (0x50, 'P')
 *   bytes 1..4  message id, u32 little-endian (the sender counts up)
 *   bytes 5..6  chunk index, u16 LE
 *   bytes 7..8  chunk count, u16 LE (>= 1)
 *   bytes 9..   payload bytes of this chunk
 *
 * A data channel is reliable and ordered, but a reassembler still checks
 * every header (a relay is not trusted) and bounds what a sender can make it
 * hold: at most `maxMessageBytes` per message and `maxPending` messages
 * being assembled at once; a message not completed within `staleMs` (on the
 * injected clock) is dropped.
 */
export const CHUNK_MAGIC = 0x50;
export const CHUNK_HEADER_BYTES = 9;
/** PeerJS's own split size (serialization 'binary'); 'raw' does not split. */
export const PEERJS_SPLIT_BYTES = 16_300;
/**
 * 64 KiB: every browser's data channel takes it (Safari's limit). On
 * loopback in headless Chromium (e2e/p2p-link.spec.ts, two runs, 2 cores at
 * load average ~25) it moved 5.7-9.8 MB/s, against 2.5-3.7 MB/s with
 * 16,300-byte chunks and 9.1-9.4 MB/s with 256 KiB chunks.
 */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Chrome's largest data-channel message. */
export const MAX_CHUNK_BYTES = 256 * 1024;
const MAX_CHUNKS = 0xffff;

export function chunkMessage(id: number, payload: Uint8Array, chunkBytes = DEFAULT_CHUNK_BYTES): Uint8Array<ArrayBuffer>[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes <= CHUNK_HEADER_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
    throw fail('CONFIG_INVALID', `chunk size ${chunkBytes} must be an integer in ${CHUNK_HEADER_BYTES + 1}..${MAX_CHUNK_BYTES} bytes`);
  }
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw fail('INTERNAL', `message id ${id} is not a u32`);
  const room = chunkBytes - CHUNK_HEADER_BYTES;
  const count = Math.max(1, Math.ceil(payload.byteLength / room));
  if (count > MAX_CHUNKS) {
    throw fail('FRAME_TOO_LARGE', `a ${payload.byteLength}-byte message needs ${count} chunks of ${chunkBytes} bytes; at most ${MAX_CHUNKS}`);
  }
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < count; i++) {
    const part = payload.subarray(i * room, Math.min(payload.byteLength, (i + 1) * room));
    const chunk = new Uint8Array(CHUNK_HEADER_BYTES + part.byteLength);
    const view = new DataView(chunk.buffer);
    view.setUint8(0, CHUNK_MAGIC);
    view.setUint32(1, id, true);
    view.setUint16(5, i, true);
    view.setUint16(7, count, true);
    chunk.set(part, CHUNK_HEADER_BYTES);
    out.push(chunk);
  }
  return out;
}

export interface ReassemblerOptions {
  maxMessageBytes: number;
  maxPending: number;
  staleMs: number;
  now: () => number;
}

interface Assembly {
  parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  startedAt: number;
}

export class Reassembler {
  private readonly pending = new Map<number, Assembly>();
  private readonly o: ReassemblerOptions;
  /** Messages dropped unfinished (stale, or pushed out by the pending bound). */
  dropped = 0;

  constructor(o: Partial<ReassemblerOptions> = {}) {
    this.o = { maxMessageBytes: 64 * 1024 * 1024, maxPending: 8, staleMs: 30_000, now: () => Date.now(), ...o };
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Takes one chunk; returns the whole message when this chunk completes it, else null. */
  push(chunk: Uint8Array): Uint8Array | null {
    if (chunk.byteLength < CHUNK_HEADER_BYTES) {
      throw fail('FRAME_TRUNCATED', `a p2p chunk is ${chunk.byteLength} bytes; its header needs ${CHUNK_HEADER_BYTES}`);
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (view.getUint8(0) !== CHUNK_MAGIC) throw fail('FRAME_INVALID', `a p2p chunk starts with 0x${view.getUint8(0).toString(16)}, not 0x50`);
    const id = view.getUint32(1, true);
    const index = view.getUint16(5, true);
    const count = view.getUint16(7, true);
    if (count === 0 || index >= count) throw fail('FRAME_INVALID', `p2p chunk ${index} of ${count} (message ${id})`);
    this.dropStale();
    let msg = this.pending.get(id);
    if (!msg) {
      if (this.pending.size >= this.o.maxPending) {
        const oldest = this.pending.keys().next().value as number;
        this.pending.delete(oldest);
        this.dropped++;
      }
      msg = { parts: new Array<Uint8Array | undefined>(count), received: 0, bytes: 0, startedAt: this.o.now() };
      this.pending.set(id, msg);
    }
    if (msg.parts.length !== count) {
      this.pending.delete(id);
      throw fail('FRAME_INVALID', `p2p message ${id} was announced with ${msg.parts.length} chunks, this chunk says ${count}`);
    }
    if (msg.parts[index]) {
      this.pending.delete(id);
      throw fail('FRAME_INVALID', `p2p message ${id} chunk ${index} arrived twice`);
    }
    const part = chunk.slice(CHUNK_HEADER_BYTES);
    msg.bytes += part.byteLength;
    if (msg.bytes > this.o.maxMessageBytes) {
      this.pending.delete(id);
      throw fail('FRAME_TOO_LARGE', `p2p message ${id} exceeds ${this.o.maxMessageBytes} bytes`);
    }
    msg.parts[index] = part;
    msg.received++;
    if (msg.received < count) return null;
    this.pending.delete(id);
    const whole = new Uint8Array(msg.bytes);
    let at = 0;
    for (const p of msg.parts as Uint8Array[]) {
      whole.set(p, at);
      at += p.byteLength;
    }
    return whole;
  }

  private dropStale(): void {
    const now = this.o.now();
    for (const [id, m] of this.pending) {
      if (now - m.startedAt > this.o.staleMs) {
        this.pending.delete(id);
        this.dropped++;
      }
    }
  }
}
