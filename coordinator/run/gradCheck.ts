import { decodeTensor } from '../../shared/compress';
import { fail } from '../../shared/errors';
import { TensorCodec, type GradFrame } from '../../shared/protocol';
import type { ParamStore } from './paramStore';

/**
 * The one gate every GRAD passes, sync or async: lengths that match the
 * model and the task, then a finite decoded gradient, state and loss. It
 * throws a TabtrainError (the server closes that client with its code) and
 * never touches the weights. fp32 decodes to a view of the frame; other
 * codecs into `scratch`, reused every step.
 */
export function checkGradient(g: GradFrame, size: number, store: ParamStore, scratch: () => Float32Array): Float32Array {
  if (g.grad.length !== store.trainableSize) throw fail('GRAD_WRONG_LENGTH', `gradient has ${g.grad.length} values, the model has ${store.trainableSize}`, 1008);
  if (g.state.length !== store.stateSize) throw fail('GRAD_WRONG_LENGTH', `state has ${g.state.length} values, the model has ${store.stateSize}`, 1008);
  if (g.count !== size) throw fail('GRAD_WRONG_LENGTH', `gradient covers ${g.count} samples, task ${g.taskId} has ${size}`, 1008);
  const grad = decodeTensor(g.grad, g.grad.codec === TensorCodec.FP32 ? undefined : scratch());
  if (!allFinite(grad) || !allFinite(g.state) || !Number.isFinite(g.lossSum)) {
    throw fail('GRAD_NOT_FINITE', `gradient of task ${g.taskId} has NaN or Infinity`, 1007);
  }
  return grad;
}

/** No NaN or Infinity: x * 0 is 0 for every finite x and NaN otherwise; one branch per array. */
export function allFinite(a: Float32Array): boolean {
  const n = a.length;
  let s = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) s += a[i]! * 0 + a[i + 1]! * 0 + a[i + 2]! * 0 + a[i + 3]! * 0;
  for (; i < n; i++) s += a[i]! * 0;
  return s === 0;
}
