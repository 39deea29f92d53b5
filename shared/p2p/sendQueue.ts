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
  private readonly waiting: { chunk: Uint8Array<ArrayBuffer>; done?: () => void }[] = [];
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
    const chunks = chunkMessage(this.nextId, payload, this.o.chunkBytes);
    this.nextId = (this.nextId + 1) >>> 0;
    return new Promise((resolve) => {
      chunks.forEach((chunk, i) => this.waiting.push(i === chunks.length - 1 ? { chunk, done: resolve } : { chunk }));
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      if (this.channel.bufferedAmount >= this.o.highWaterBytes) {
        this.stalls++;
        return;
      }
      const next = this.waiting.shift() as { chunk: Uint8Array<ArrayBuffer>; done?: () => void };
      this.channel.send(next.chunk);
      this.bytesSent += next.chunk.byteLength;
      next.done?.();
    }
  }
}
