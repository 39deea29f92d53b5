import { Rng } from '../../shared/data/rng';

/**
 * Image augmentation on the peer, as classic MNIST training does it: each
 * image is shifted by up to ±2 pixels and rotated by up to ±10 degrees
 * about its centre (inverse mapping, bilinear, zero outside). Seeded by the
 * task, so a task computed twice (a backup, a replay) gives the same
 * gradient. Only training shards are augmented; evaluation never is.
 */
export const MAX_SHIFT = 2;
export const MAX_ROTATION = (10 * Math.PI) / 180;

export function augmentImages(images: Float32Array, count: number, shape: readonly number[], seed: number): Float32Array {
  const [h, w, c] = [shape[0]!, shape[1]!, shape[2] ?? 1];
  const size = h * w * c;
  const out = new Float32Array(images.length);
  const rng = new Rng(seed);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let n = 0; n < count; n++) {
    const dy = (rng.nextU32() / 2 ** 32) * 2 * MAX_SHIFT - MAX_SHIFT;
    const dx = (rng.nextU32() / 2 ** 32) * 2 * MAX_SHIFT - MAX_SHIFT;
    const a = (rng.nextU32() / 2 ** 32) * 2 * MAX_ROTATION - MAX_ROTATION;
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    const src = n * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // Where this output pixel comes from: undo the shift, then the rotation.
        const ry = y - cy - dy;
        const rx = x - cx - dx;
        const sy = cos * ry + sin * rx + cy;
        const sx = -sin * ry + cos * rx + cx;
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const fy = sy - y0;
        const fx = sx - x0;
        for (let ch = 0; ch < c; ch++) {
          const at = (yy: number, xx: number): number => (yy >= 0 && yy < h && xx >= 0 && xx < w ? images[src + (yy * w + xx) * c + ch]! : 0);
          const v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          out[src + (y * w + x) * c + ch] = v;
        }
      }
    }
  }
  return out;
}
