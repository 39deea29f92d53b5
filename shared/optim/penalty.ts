import { fail } from '../errors';
import { checkSetting } from './settings';

/**
 * Keras's l1_l2 weight regularizer, applied on the coordinator:
 *
 *   loss += l1 * sum |w| + l2 * sum w^2
 *   grad += l1 * sign(w) + 2 * l2 * w
 *
 * sign(0) = 0, as TensorFlow's and PyTorch's |w| gradient: a weight already at
 * 0 stays there. (tfjs's abs gradient gives -1 at 0, which would push it off.)
 * over the parameters whose mask entry is 1 (kernels, not biases); a null mask
 * means every parameter.
 */
export function addPenaltyGradients(grad: Float32Array, params: Float32Array, mask: Uint8Array | null, l1: number, l2: number): void {
  checkPenalty(grad.length, params, mask, l1, l2);
  for (let i = 0; i < params.length; i++) {
    if (mask !== null && mask[i] !== 1) continue;
    const w = params[i];
    grad[i] += l1 * Math.sign(w) + 2 * l2 * w;
  }
}

/** The penalty term itself, for reporting the regularized loss. */
export function penaltyLoss(params: Float32Array, mask: Uint8Array | null, l1: number, l2: number): number {
  checkPenalty(params.length, params, mask, l1, l2);
  let sumAbs = 0;
  let sumSq = 0;
  for (let i = 0; i < params.length; i++) {
    if (mask !== null && mask[i] !== 1) continue;
    const w = params[i];
    sumAbs += Math.abs(w);
    sumSq += w * w;
  }
  return l1 * sumAbs + l2 * sumSq;
}

function checkPenalty(gradLength: number, params: Float32Array, mask: Uint8Array | null, l1: number, l2: number): void {
  checkSetting('penalty', 'l1', l1, '>= 0');
  checkSetting('penalty', 'l2', l2, '>= 0');
  if (gradLength !== params.length || (mask !== null && mask.length !== params.length)) {
    throw fail('INTERNAL', `penalty: grad (${gradLength}), params (${params.length}) and mask (${mask?.length ?? 'null'}) must have the same length`);
  }
}
