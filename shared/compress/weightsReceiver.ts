import { CloseStatus, fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import { TaskFlag, type TaskFrame } from '../protocol/tensors';
import { decodeFp16 } from './fp16';
import { decodeFp32 } from './fp32';
import { addDelta } from './weightsDelta';

/**
 * A peer's copy of the weights, as TASK frames bring them: full weights
 * (float32 or fp16) replace it, a delta (TaskFlag.WEIGHTS_DELTA) is added to
 * it. The copy lives here, in float32, not in the model: a delta must build
 * on exactly what the coordinator's mirror holds, whatever else the model
 * was given since (a WEIGHTS frame, say).
 *
 * A delta whose base version is not the one held (a frame lost, a copy
 * reset) is refused with WEIGHTS_BASE_MISSING and nothing changes: the
 * session closes with CloseStatus.WEIGHTS_RESYNC, the coordinator hands the
 * peer's shards to others at once, and the peer reconnects and is sent full
 * weights. Nothing is lost, and no task is computed on wrong weights.
 */
export class WeightsReceiver {
  private values: Float32Array | null = null;
  private held = -1;

  /** The version of the copy, -1 when there is none (then no delta applies). */
  get version(): number {
    return this.held;
  }

  /** The copy itself (reused: install it before the next `receive`). */
  get weights(): Float32Array | null {
    return this.held < 0 ? null : this.values;
  }

  /** The weights a task brings, to install; null when it brings none. */
  receive(t: Pick<TaskFrame, 'weights' | 'weightsVersion' | 'flags' | 'baseVersion'>): Float32Array | null {
    const w = t.weights;
    if (w.codec === TensorCodec.NONE) return null;
    if (t.flags & TaskFlag.WEIGHTS_DELTA) {
      if (this.held < 0 || this.held !== t.baseVersion || this.values?.length !== w.length) {
        const have = this.held < 0 ? 'no weights' : `version ${this.held}`;
        throw fail('WEIGHTS_BASE_MISSING', `a weights delta for version ${t.baseVersion} came, this peer holds ${have}: reconnecting for full weights`, CloseStatus.WEIGHTS_RESYNC);
      }
      addDelta(w, this.values);
    } else {
      if (this.values?.length !== w.length) this.values = new Float32Array(w.length);
      this.held = -1; // a payload that fails to decode leaves no usable copy
      if (w.codec === TensorCodec.FP32) this.values.set(decodeFp32(w));
      else if (w.codec === TensorCodec.FP16) decodeFp16(w, this.values);
      else throw fail('FRAME_INVALID', `full weights are fp32 or fp16 (codec ${TensorCodec.FP32} or ${TensorCodec.FP16}), not codec ${w.codec}`);
    }
    this.held = t.weightsVersion;
    return this.values;
  }

  /** Forget the copy (a new connection starts from full weights). */
  reset(): void {
    this.held = -1;
  }
}
