import { addDelta, encodeFp16, encodeFp32, encodeInt8, int8Bytes, type WeightsCodec } from '../../shared/compress';
import type { TensorPayload } from '../../shared/protocol';
import { PayloadPool, type PooledBuffer } from './payloadPool';
import type { ParamStore } from '../run/paramStore';

/**
 * The weights on their way down to the peers (--weights-codec), and what
 * each peer holds. A "content" is one set of weights peers can hold, with a
 * serial of its own: at most one is current, and a peer is sent it when the
 * serial it was last sent differs. One payload per content is shared by
 * every peer (PayloadPool: reused buffers, nothing allocated per step).
 *
 *   none   each version's float32 weights: the content is the master W_v.
 *   fp16   fp16(W_v) for training; the master stays float32, so nothing drifts.
 *   delta  a mirror M of what peers hold. For a peer holding M_{v-1}:
 *          D = quantize(W_v - M_{v-1}), and M_v = M_{v-1} + decode(D), added
 *          exactly as the peers add it (shared/compress/weightsDelta.ts), so
 *          mirror and peers stay bit-identical and W - M stays within one
 *          quantization step (error feedback). Any other peer gets M_v in
 *          float32 (a keyframe).
 *
 * Evaluation asks for `exact` weights: the float32 W_v itself. Where the
 * training content is not exact (fp16, delta), W_v is a side content beside
 * it: the training lineage (and in delta mode the mirror) goes on, so an
 * evaluation pass on a few peers costs those few a float32 copy and nobody
 * else anything (it used to reset the mirror to W_v: every peer that had not
 * evaluated then needed full weights, 16 x 407 kB a validation pass in a
 * simulated class of 16). A peer holding the side content of the current
 * version trains on it as is (exact is as good as the training content); at
 * a later version it is off the lineage and gets full weights.
 *
 * A new content in delta mode is a delta only if the peer it is made for
 * holds the previous one (or evaluated beside it); otherwise that peer needs full weights anyway, and
 * they may as well be the exact W_v (async mode with several peers, a peer
 * that joined as the step starts): float32, no wasted encoding.
 */
export interface WeightsToSend {
  /** The serial of the content the peer holds once it has this. */
  serial: number;
  payload: TensorPayload;
  /** A difference to add to the weights of `baseVersion`. */
  delta: boolean;
  baseVersion: number;
  buffer: PooledBuffer;
}

interface Content {
  serial: number;
  version: number;
  /** Bit-equal to the master weights of `version`. */
  exact: boolean;
  /** For a peer holding anything else; made on first need (a delta content's from the mirror, before it moves on). */
  full: { buffer: PooledBuffer; payload: TensorPayload } | null;
  /** Delta mode: the difference to the previous content, for peers holding that. */
  delta: { buffer: PooledBuffer; payload: TensorPayload; fromSerial: number; baseVersion: number } | null;
}

/** What a peer holds, as far as the broadcast knows: the serial of the content it was last sent, -1 none. */
export interface WeightsHolder {
  id: string;
  sentWeights: number;
}

export class WeightsBroadcast {
  readonly pool = new PayloadPool();
  /** Payloads attached to tasks, by kind, and their bytes (the report's `weights`). */
  readonly counts = { full: 0, delta: 0, fullBytes: 0, deltaBytes: 0 };
  private current: Content | null = null;
  /** fp16 and delta modes: the exact W_v evaluation asked for while the training content is not exact. */
  private side: Content | null = null;
  private nextSerial = 0;
  /** Delta mode: exactly what peers holding the current content hold. */
  private readonly mirror: Float32Array;
  /** Delta mode: W - M, reused. */
  private readonly diff: Float32Array;

  constructor(
    readonly codec: WeightsCodec,
    private readonly store: ParamStore,
    /** Lengths of the weight tensors in flat order (int8 keeps one scale per tensor). */
    private readonly segments: readonly number[],
  ) {
    const n = codec.name === 'delta' ? store.weights.length : 0;
    this.mirror = new Float32Array(n);
    this.diff = new Float32Array(n);
  }

  /**
   * What to attach to a task for `peer` at the store's current version (null:
   * it holds that already), and records that it will hold it.
   */
  forPeer(peer: WeightsHolder, exact: boolean, viaTree = false): WeightsToSend | null {
    const w = this.preview(peer, exact);
    if (!w) return null;
    peer.sentWeights = w.serial;
    // --p2p: weights that go down a tree reach the peer from its parent tab, not with this TASK (not counted as sent here).
    if (viaTree) return w;
    if (w.delta) {
      this.counts.delta++;
      this.counts.deltaBytes += w.payload.bytes.byteLength;
    } else {
      this.counts.full++;
      this.counts.fullBytes += w.payload.bytes.byteLength;
    }
    return w;
  }

  /**
   * What `forPeer` would attach for `peer` now, without recording anything
   * about the peer (--p2p plans which tabs get the same payload from their
   * parent: the same object means the same bytes).
   */
  preview(peer: WeightsHolder, exact: boolean): WeightsToSend | null {
    const held = peer.sentWeights;
    // Exact weights of this version already there (it evaluated them): nothing to send, and no say in the lineage.
    if (this.side && this.side.version === this.store.version && held === this.side.serial) return null;
    const c = this.contentFor(exact, held);
    if (held === c.serial) return null;
    if (c.delta && held === c.delta.fromSerial) return { serial: c.serial, payload: c.delta.payload, delta: true, baseVersion: c.delta.baseVersion, buffer: c.delta.buffer };
    c.full ??= this.fullPayload(c);
    return { serial: c.serial, payload: c.full.payload, delta: false, baseVersion: 0, buffer: c.full.buffer };
  }

  /** The payload went to `peerId`'s socket with task `taskId` (Io.sendParts: not copied). */
  lent(w: WeightsToSend, peerId: string, taskId: number): void {
    this.pool.lend(w.buffer, peerId, taskId);
  }

  answered(peerId: string, taskId: number): void {
    this.pool.answered(peerId, taskId);
  }

  gone(peerId: string): void {
    this.pool.gone(peerId);
  }

  /** Delta mode: the mirror, for tests (what every peer holding the current content holds). */
  get mirrorWeights(): Float32Array | null {
    return this.codec.name === 'delta' && this.current ? this.mirror : null;
  }

  private contentFor(exact: boolean, recipientHolds: number): Content {
    const v = this.store.version;
    const cur = this.current;
    if (cur && cur.version === v && (cur.exact || !exact)) return cur;
    if (exact && cur && this.codec.name !== 'none') {
      // Evaluation while the training content is fp16 or a delta lineage: W_v beside it, the lineage untouched.
      if (this.side?.version === v) return this.side;
      if (this.side) this.drop(this.side);
      this.side = { serial: this.nextSerial++, version: v, exact: true, full: null, delta: null };
      return this.side;
    }
    const next: Content = { serial: this.nextSerial++, version: v, exact: true, full: null, delta: null };
    const c = this.codec;
    if (c.name === 'fp16' && !exact) {
      next.exact = false;
      const buffer = this.pool.take(2 * this.store.weights.length);
      next.full = { buffer, payload: encodeFp16(this.store.weights, buffer.bytes) };
    } else if (c.name === 'delta' && !exact && cur !== null && (recipientHolds === cur.serial || this.evaluatedBeside(cur, recipientHolds))) {
      next.exact = false;
      next.delta = this.encodeDelta(c.quantizer, cur);
    } else if (c.name === 'delta') {
      this.mirror.set(this.store.weights);
    }
    if (cur) this.drop(cur);
    this.current = next;
    return next;
  }

  /**
   * The recipient holds the exact weights of the lineage's version (it evaluated them beside it): the peers that
   * did not evaluate hold the lineage, so the new version is a delta for them, not a keyframe for everyone.
   */
  private evaluatedBeside(cur: Content, recipientHolds: number): boolean {
    return this.side !== null && recipientHolds === this.side.serial && this.side.version === cur.version;
  }

  /** D = quantize(W - M), then M += decode(D) as the peers will add it. */
  private encodeDelta(quantizer: 'int8' | 'fp16', base: Content): NonNullable<Content['delta']> {
    const w = this.store.weights;
    const m = this.mirror;
    const d = this.diff;
    for (let i = 0; i < d.length; i++) d[i] = w[i]! - m[i]!;
    const buffer = this.pool.take(quantizer === 'int8' ? int8Bytes(d.length, this.segments.length) : 2 * d.length);
    const payload = quantizer === 'int8' ? encodeInt8(d, this.segments, buffer.bytes).payload : encodeFp16(d, buffer.bytes);
    addDelta(payload, m);
    return { buffer, payload, fromSerial: base.serial, baseVersion: base.version };
  }

  /** Float32 weights of a content: the master W (exact) or the mirror (a delta content). */
  private fullPayload(c: Content): NonNullable<Content['full']> {
    const src = c.exact ? this.store.weights : this.mirror;
    const buffer = this.pool.take(4 * src.length);
    const values = new Float32Array(buffer.bytes.buffer, buffer.bytes.byteOffset, src.length);
    values.set(src);
    return { buffer, payload: encodeFp32(values) };
  }

  private drop(c: Content): void {
    if (c.full) this.pool.release(c.full.buffer);
    if (c.delta) this.pool.release(c.delta.buffer);
  }
}
