/** Small helpers the model views share (session/modelView.ts and model/view/*); softmaxIfNeeded is in shared/data/probabilities.ts. */

/** Rounded for the JSON the dashboard gets. */
export const round2 = (x: number): number => Math.round(x * 100) / 100;
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
