import { fail } from '../errors';
import { chunkMessage, DEFAULT_CHUNK_BYTES } from './chunk';

/**
 * What the send queue needs of an RTCDataChannel (or a fake one in tests):
 * the bytes queued but not yet sent, and a way to hear when they drop below
 * the low-water mark.
 */
export interface ChannelLike {
  send(data: Uint8Array<ArrayBuffer>): void;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  /** Registers the one 'bufferedamountlow' listener. */
  onLow(listener: () => void): void;
}

export interface SendQueueOptions {
  chunkBytes: number;
  /** Stop handing chunks to the channel while this many bytes wait in its buffer. */
  highWaterBytes: number;
  /** Resume when the channel's buffer drains to this. */
  lowWaterBytes: number;
}

interface Waiting {
  chunk: Uint8Array<ArrayBuffer>;
  done?: () => void;
  reject: (e: Error) => void;
}

export const DEFAULT_SEND_QUEUE: SendQueueOptions = { chunkBytes: DEFAULT_CHUNK_BYTES, highWaterBytes: 1024 * 1024, lowWaterBytes: 256 * 1024 };

/**
 * Backpressure on `bufferedAmount`: a browser closes a data channel whose
 * send buffer overflows (Chrome: 16 MiB), so chunks are handed over only
 * while the buffer holds less than the high-water mark; the rest wait here
 * until 'bufferedamountlow'. `send` resolves when the message's last chunk
 * has been handed to the channel.
 */
export class SendQueue {
  private readonly o: SendQueueOptions;
  private readonly waiting: Waiting[] = [];
  private closedBecause: string | null = null;
  private nextId = 0;
  /** Times the queue stopped at the high-water mark. */
  stalls = 0;
  bytesSent = 0;

  constructor(
    private readonly channel: ChannelLike,
    o: Partial<SendQueueOptions> = {},
  ) {
    this.o = { ...DEFAULT_SEND_QUEUE, ...o };
    channel.bufferedAmountLowThreshold = this.o.lowWaterBytes;
    channel.onLow(() => this.pump());
  }

  set chunkBytes(n: number) {
    this.o.chunkBytes = n;
  }

  get queuedChunks(): number {
    return this.waiting.length;
  }

  send(payload: Uint8Array): Promise<void> {
    if (this.closedBecause !== null) return Promise.reject(fail('INTERNAL', `the data channel is closed (${this.closedBecause})`));
    const chunks = chunkMessage(this.nextId, payload, this.o.chunkBytes);
    this.nextId = (this.nextId + 1) >>> 0;
    return new Promise((resolve, reject) => {
      chunks.forEach((chunk, i) => this.waiting.push(i === chunks.length - 1 ? { chunk, done: resolve, reject } : { chunk, reject }));
      this.pump();
    });
  }

  /** The channel closed: every message still waiting fails (its sender falls back to the star), later sends too. */
  close(why: string): void {
    if (this.closedBecause !== null) return;
    this.closedBecause = why;
    const error = fail('INTERNAL', `the data channel closed before the message was sent (${why})`);
    const rejects = new Set(this.waiting.map((w) => w.reject));
    this.waiting.length = 0;
    for (const r of rejects) r(error);
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      if (this.channel.bufferedAmount >= this.o.highWaterBytes) {
        this.stalls++;
        return;
      }
      const next = this.waiting.shift() as Waiting;
      try {
        this.channel.send(next.chunk);
      } catch (e) {
        this.waiting.unshift(next);
        this.close(e instanceof Error ? e.message : String(e));
        return;
      }
      this.bytesSent += next.chunk.byteLength;
      next.done?.();
    }
  }
}
