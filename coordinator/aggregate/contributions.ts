/**
 * Per-peer contributions for the robust rules: each peer's shards of one
 * step summed into its own float64 row, then turned into its per-sample mean
 * x_i = sum_i / count_i. Rows are pooled and reused step after step.
 */
export class Contributions {
  private readonly rows: Float64Array[] = [];
  private readonly slot = new Map<string, number>();
  readonly ids: string[] = [];
  readonly counts: number[] = [];

  constructor(readonly size: number) {}

  reset(): void {
    this.slot.clear();
    this.ids.length = 0;
    this.counts.length = 0;
  }

  add(peerId: string, gradSum: Float32Array, count: number): void {
    if (count <= 0) return;
    let k = this.slot.get(peerId);
    if (k === undefined) {
      k = this.ids.length;
      this.slot.set(peerId, k);
      this.ids.push(peerId);
      this.counts.push(0);
      if (k === this.rows.length) this.rows.push(new Float64Array(this.size));
      else this.rows[k]!.fill(0);
    }
    const r = this.rows[k]!;
    for (let i = 0; i < r.length; i++) r[i]! += gradSum[i]!;
    this.counts[k]! += count;
  }

  get length(): number {
    return this.ids.length;
  }

  get totalCount(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  /** Turns every row into its peer's mean, x_i = sum_i / count_i, and returns the rows (length = peers). */
  means(): Float64Array[] {
    const out = this.rows.slice(0, this.ids.length);
    out.forEach((r, k) => {
      const n = this.counts[k]!;
      for (let i = 0; i < r.length; i++) r[i]! /= n;
    });
    return out;
  }
}

export function norm(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

export function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export function normsOf(ids: readonly string[], rows: readonly Float64Array[]): Map<string, number> {
  return new Map(ids.map((id, k) => [id, norm(rows[k]!)]));
}

/** The median of a few numbers (copied, then sorted). */
export function medianOf(values: readonly number[]): number {
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
