/** Small helpers the model views share (session/modelView.ts and model/view/*). */

/** A model's output row as probabilities: kept when it already is one, else softmaxed. */
export function softmaxIfNeeded(v: number[]): number[] {
  const sum = v.reduce((a, b) => a + b, 0);
  if (v.every((x) => x >= 0 && x <= 1) && Math.abs(sum - 1) < 1e-3) return v;
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** Rounded for the JSON the dashboard gets. */
export const round2 = (x: number): number => Math.round(x * 100) / 100;
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
