/**
 * A model's output row as probabilities: kept when it already is one (a
 * softmax output layer), else softmaxed (logits). Used by the coordinator's
 * model views and by the volunteer page's drawing pad.
 */
export function softmaxIfNeeded(v: number[]): number[] {
  const sum = v.reduce((a, b) => a + b, 0);
  if (v.every((x) => x >= 0 && x <= 1) && Math.abs(sum - 1) < 1e-3) return v;
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}
