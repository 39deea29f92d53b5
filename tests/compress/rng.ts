/** A small seeded generator for codec tests: normal-ish values over several magnitudes. */
export function gradientLike(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = next() + next() + next() - 1.5; // roughly normal
    out[i] = u * 10 ** (-1 - 4 * next()); // magnitudes from 1e-5 to 1e-1
  }
  return out;
}
