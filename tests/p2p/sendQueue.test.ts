import { describe, expect, it } from 'vitest';
import { Reassembler } from '../../shared/p2p/chunk';
import { SendQueue, type ChannelLike } from '../../shared/p2p/sendQueue';

/** A data channel whose buffer drains only when the test says so. */
class FakeChannel implements ChannelLike {
  buffered: Uint8Array[] = [];
  delivered: Uint8Array[] = [];
  bufferedAmountLowThreshold = 0;
  private low: () => void = () => undefined;
  get bufferedAmount(): number {
    return this.buffered.reduce((a, b) => a + b.byteLength, 0);
  }
  send(data: Uint8Array): void {
    this.buffered.push(data);
  }
  onLow(listener: () => void): void {
    this.low = listener;
  }
  /** The network takes everything queued; the browser fires 'bufferedamountlow'. */
  drain(): void {
    this.delivered.push(...this.buffered);
    this.buffered = [];
    this.low();
  }
}

describe('p2p send queue', () => {
  it('stops at the high-water mark and resumes on bufferedamountlow; the receiver gets the message whole', async () => {
    const ch = new FakeChannel();
    const q = new SendQueue(ch, { chunkBytes: 1009, highWaterBytes: 3000, lowWaterBytes: 1000 });
    expect(ch.bufferedAmountLowThreshold).toBe(1000);
    const payload = new Uint8Array(10_000).map((_, i) => i & 0xff);
    let sent = false;
    const done = q.send(payload).then(() => (sent = true));
    // 1000 payload bytes per chunk -> 10 chunks; 3 fit under 3000 bytes buffered
    expect(ch.buffered.length).toBe(3);
    expect(q.queuedChunks).toBe(7);
    expect(ch.bufferedAmount).toBeLessThan(3000 + 1009);
    while (q.queuedChunks > 0) ch.drain();
    ch.drain();
    await done;
    expect(sent).toBe(true);
    expect(q.stalls).toBeGreaterThanOrEqual(3);
    const r = new Reassembler();
    const whole = ch.delivered.map((c) => r.push(c)).at(-1) as Uint8Array;
    expect(Buffer.compare(whole, payload)).toBe(0);
  });

  it('resolves a message only when its last chunk is handed over, in order behind earlier ones', async () => {
    const ch = new FakeChannel();
    const q = new SendQueue(ch, { chunkBytes: 109, highWaterBytes: 100, lowWaterBytes: 0 });
    const order: string[] = [];
    const a = q.send(new Uint8Array(300)).then(() => order.push('a'));
    const b = q.send(new Uint8Array(50)).then(() => order.push('b'));
    await Promise.resolve();
    expect(order).toEqual([]);
    for (let i = 0; i < 5; i++) ch.drain();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(ch.delivered.length).toBe(4);
  });

  it('a channel that closes fails the messages still waiting and every later send, so the tab can fall back to the star', async () => {
    const ch = new FakeChannel();
    const q = new SendQueue(ch, { chunkBytes: 109, highWaterBytes: 100, lowWaterBytes: 0 });
    const first = q.send(new Uint8Array(300));
    q.close('the other tab left');
    await expect(first).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('the other tab left') });
    await expect(q.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(q.queuedChunks).toBe(0);
  });

  it('a send the browser refuses (channel closing) closes the queue instead of losing chunks silently', async () => {
    const ch = new FakeChannel();
    ch.send = () => {
      throw new Error("RTCDataChannel.readyState is not 'open'");
    };
    const q = new SendQueue(ch);
    await expect(q.send(new Uint8Array(10))).rejects.toMatchObject({ message: expect.stringContaining("readyState is not 'open'") });
  });
});
