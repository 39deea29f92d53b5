/**
 * Byte buffers for weights payloads, reused from version to version so the
 * coordinator allocates nothing per step. A payload goes to the sockets as
 * is (Io.sendParts: one buffer shared by every peer, never copied), and a
 * socket may still be writing it after the send call returns, so a buffer
 * is only reused once
 *   - no broadcast content holds it (`release`), and
 *   - every peer it was lent to has answered the task it came with, or a
 *     later one (the peer cannot answer a task before it received the whole
 *     frame, and so everything sent before it), or has left (its socket is
 *     closed: nothing more is read).
 * A peer that stays connected without answering keeps its buffers; new ones
 * are made meanwhile, as many as a slow socket would hold anyway.
 */
export interface PooledBuffer {
  readonly bytes: Uint8Array;
  /** A broadcast content still serves it. */
  held: boolean;
  /** Sockets that may still be reading it. */
  readers: number;
}

/** Free buffers kept per size beyond the ones in use: enough to alternate, no hoard after a slow peer left. */
const SPARE_PER_SIZE = 2;

export class PayloadPool {
  private buffers: PooledBuffer[] = [];
  private readonly lent = new Map<string, { buffer: PooledBuffer; taskId: number }[]>();
  /** Bytes allocated since the start: flat after the first versions when peers keep up. */
  allocatedBytes = 0;

  /** A buffer of `size` bytes for a new content, 4-byte aligned (float32 and int8 payloads need it). */
  take(size: number): PooledBuffer {
    let b = this.buffers.find((x) => !x.held && x.readers === 0 && x.bytes.byteLength === size);
    if (!b) {
      b = { bytes: new Uint8Array(size), held: false, readers: 0 };
      this.buffers.push(b);
      this.allocatedBytes += size;
    }
    b.held = true;
    return b;
  }

  /** The content that held `b` was replaced by a newer one. */
  release(b: PooledBuffer): void {
    b.held = false;
    this.trim();
  }

  /** `b` went to `peerId`'s socket with task `taskId`. */
  lend(b: PooledBuffer, peerId: string, taskId: number): void {
    b.readers++;
    let list = this.lent.get(peerId);
    if (!list) this.lent.set(peerId, (list = []));
    list.push({ buffer: b, taskId });
  }

  /** `peerId` answered task `taskId`: every frame up to that task has left our socket. */
  answered(peerId: string, taskId: number): void {
    const list = this.lent.get(peerId);
    if (!list) return;
    const still = list.filter((l) => {
      if (l.taskId > taskId) return true;
      l.buffer.readers--;
      return false;
    });
    if (still.length > 0) this.lent.set(peerId, still);
    else this.lent.delete(peerId);
    this.trim();
  }

  /** `peerId`'s socket closed. */
  gone(peerId: string): void {
    this.answered(peerId, Infinity);
  }

  private trim(): void {
    const spare = new Map<number, number>();
    this.buffers = this.buffers.filter((b) => {
      if (b.held || b.readers > 0) return true;
      const n = (spare.get(b.bytes.byteLength) ?? 0) + 1;
      spare.set(b.bytes.byteLength, n);
      return n <= SPARE_PER_SIZE;
    });
  }
}
