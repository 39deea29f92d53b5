import { describe, expect, it } from 'vitest';
import { augmentImages } from '../../client/trainer/augment';

/** A 28x28 image with one bright 4x4 square in the middle. */
function square(): Float32Array {
  const img = new Float32Array(28 * 28);
  for (let y = 12; y < 16; y++) for (let x = 12; x < 16; x++) img[y * 28 + x] = 1;
  return img;
}

function centroid(img: Float32Array): { y: number; x: number; mass: number } {
  let m = 0;
  let sy = 0;
  let sx = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = img[y * 28 + x]!;
      m += v;
      sy += v * y;
      sx += v * x;
    }
  }
  return { y: sy / m, x: sx / m, mass: m };
}

describe('image augmentation', () => {
  it('moves the content by at most the shift (plus rotation), keeps its mass, and differs per image', () => {
    const images = new Float32Array(28 * 28 * 8);
    for (let i = 0; i < 8; i++) images.set(square(), i * 28 * 28);
    const out = augmentImages(images, 8, [28, 28, 1], 1234);
    const before = centroid(square());
    const centres = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const c = centroid(out.subarray(i * 784, (i + 1) * 784));
      expect(Math.abs(c.y - before.y)).toBeLessThanOrEqual(2.3);
      expect(Math.abs(c.x - before.x)).toBeLessThanOrEqual(2.3);
      expect(c.mass).toBeGreaterThan(0.9 * before.mass);
      expect(c.mass).toBeLessThan(1.1 * before.mass);
      centres.add(`${c.y.toFixed(2)},${c.x.toFixed(2)}`);
    }
    expect(centres.size).toBe(8);
  });

  it('is a pure function of the task seed (a backup copy computes the same gradient)', () => {
    const img = square();
    expect(Array.from(augmentImages(img, 1, [28, 28, 1], 7))).toEqual(Array.from(augmentImages(img, 1, [28, 28, 1], 7)));
    expect(Array.from(augmentImages(img, 1, [28, 28, 1], 7))).not.toEqual(Array.from(augmentImages(img, 1, [28, 28, 1], 8)));
  });
});
