import { checkSetting } from './settings';

/** sqrt(sum g^2), summed in double precision (float32 squares cannot overflow a double). */
export function globalNorm(grad: Float32Array): number {
  let sumSq = 0;
  for (let i = 0; i < grad.length; i++) sumSq += grad[i] * grad[i];
  return Math.sqrt(sumSq);
}

/**
 * Clips in place as tf.clip_by_global_norm: g *= maxNorm / max(norm, maxNorm),
 * so a gradient already within maxNorm is left exactly as it was. Returns the
 * norm before clipping, for logging. A non-finite norm is returned with the
 * gradient untouched (TensorFlow would fill it with NaN): the caller must
 * refuse such a gradient, as the coordinator does before averaging.
 */
export function clipByGlobalNorm(grad: Float32Array, maxNorm: number): number {
  checkSetting('clipByGlobalNorm', 'maxNorm', maxNorm, '> 0');
  const norm = globalNorm(grad);
  if (!Number.isFinite(norm) || norm <= maxNorm) return norm;
  const scale = maxNorm / norm;
  for (let i = 0; i < grad.length; i++) grad[i] *= scale;
  return norm;
}
