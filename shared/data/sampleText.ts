import { Rng } from './rng';

/**
 * THE sampling function of the character model, used alike by the CLI
 * (`tabtrain sample`), the dashboard and the volunteer page: start from a
 * line break (the start of a name) and the prefix, then repeatedly ask the
 * model for the next character's probabilities given the last T characters
 * (left-padded with line breaks), sharpen or flatten them by the
 * temperature (p^(1/t), renormalised; t = 0 takes the most likely), draw one
 * with a seeded generator, until a line break or `maxChars`. Same model,
 * prefix, temperature and seed: same text, whatever computes the
 * probabilities (tabtrain's trainer or plain tfjs on the export).
 */
export interface SampleOptions {
  vocab: readonly string[];
  seqLen: number;
  prefix?: string;
  temperature?: number;
  /** Characters to generate after the prefix, at most. */
  maxChars?: number;
  seed?: number;
  /** Stop at this character (not included); default a line break when the vocabulary has one. */
  stopAt?: string | null;
}

/** Probabilities of the next character after the window (seqLen token ids): vocab.length values. */
export type NextCharProbabilities = (window: Float32Array) => Float32Array;

export function sampleText(next: NextCharProbabilities, o: SampleOptions): string {
  const index = new Map(o.vocab.map((c, i) => [c, i]));
  const newline = index.get('\n');
  const pad = newline ?? 0;
  const stop = o.stopAt === undefined ? (newline !== undefined ? '\n' : null) : o.stopAt;
  const temperature = o.temperature ?? 1;
  const rng = new Rng(o.seed ?? 1);
  const prefix = Array.from(o.prefix ?? '').filter((c) => index.has(c));
  const ids: number[] = [...(newline !== undefined ? [newline] : []), ...prefix.map((c) => index.get(c)!)];
  let out = prefix.join('');
  const window = new Float32Array(o.seqLen);
  for (let n = 0; n < (o.maxChars ?? 40); n++) {
    for (let q = 0; q < o.seqLen; q++) {
      const at = ids.length - o.seqLen + q;
      window[q] = at >= 0 ? ids[at]! : pad;
    }
    const id = draw(next(window), temperature, rng);
    const ch = o.vocab[id]!;
    if (ch === stop) break;
    ids.push(id);
    out += ch;
  }
  return out;
}

/** One index drawn from p^(1/t) (renormalised); t <= 0 is the most likely index. */
export function draw(p: Float32Array, temperature: number, rng: Rng): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  if (temperature <= 0) return best;
  // in logs, relative to the best, so a low temperature does not underflow to all zeros
  const logBest = Math.log(Math.max(p[best]!, 1e-30));
  const w = new Float64Array(p.length);
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    w[i] = p[i]! > 0 ? Math.exp((Math.log(p[i]!) - logBest) / temperature) : 0;
    total += w[i]!;
  }
  let u = rng.nextFloat() * total;
  for (let i = 0; i < p.length; i++) {
    u -= w[i]!;
    if (u < 0) return i;
  }
  return best;
}
