/**
 * A small seeded PRNG (mulberry32) whose whole state is one u32, so a
 * checkpoint can store it as a plain number and the browser and Node produce
 * the same stream bit for bit (only 32-bit integer math, Math.imul).
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** The serialisable state: `new Rng(rng.state)` continues the same stream. */
  get state(): number {
    return this.s;
  }

  set state(v: number) {
    this.s = v >>> 0;
  }

  /** Next u32, uniform in [0, 2^32). */
  nextU32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** Uniform integer in [0, n), exactly unbiased (rejects the ragged top of the u32 range). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`nextInt(${n}): n must be an integer in [1, 2^32]`);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /**
   * Standard normal (Box-Muller). The second value of the pair is dropped on
   * purpose: caching it would add hidden state beyond the one u32.
   */
  nextGaussian(): number {
    const u = 1 - this.nextFloat(); // (0, 1]: log(0) would be -Infinity
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** murmur3's finaliser: every input bit flips about half the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, k: number): number {
  k = Math.imul(k >>> 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

/**
 * A new u32 seed from a seed and labels, e.g. `deriveSeed(seed, 'epoch', 3)`,
 * so independent streams (split, epochs, generators) never share a sequence.
 * Numbers are mixed as u32 words (the low and high 32 bits of an integer up to
 * 2^53; a fraction's bits are truncated), strings by UTF-16 code unit.
 */
export function deriveSeed(seed: number, ...parts: (number | string)[]): number {
  let h = fmix32(seed >>> 0);
  for (const p of parts) {
    if (typeof p === 'number') {
      h = mix(h, 0x6e756d00); // tag: a number and a one-char string never collide
      h = mix(h, p >>> 0);
      h = mix(h, Math.floor(p / 4294967296) >>> 0);
    } else {
      h = mix(h, 0x73747200 ^ p.length);
      for (let i = 0; i < p.length; i++) h = mix(h, p.charCodeAt(i));
    }
  }
  return fmix32(h);
}
