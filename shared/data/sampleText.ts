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
  const s = new TextSampler(o);
  while (!s.done) s.push(next(s.window()));
  return s.text;
}

/**
 * Several samples at once (one per seed), one batched model call per
 * character, yielding between characters so a coordinator computing them
 * keeps its event loop: each sample is exactly `sampleText` with its seed.
 */
export async function sampleTexts(next: (windows: Float32Array[]) => Float32Array[], o: Omit<SampleOptions, 'seed'>, seeds: readonly number[], pause: () => Promise<void> = async () => undefined): Promise<string[]> {
  const all = seeds.map((seed) => new TextSampler({ ...o, seed }));
  for (;;) {
    const live = all.filter((s) => !s.done);
    if (live.length === 0) return all.map((s) => s.text);
    const probs = next(live.map((s) => s.window()));
    live.forEach((s, i) => s.push(probs[i]!));
    await pause();
  }
}

/** One sample's state: the ids so far, its generator, its text; `window()` then `push(probabilities)` per character. */
class TextSampler {
  private readonly index: Map<string, number>;
  private readonly ids: number[];
  private readonly pad: number;
  private readonly stop: string | null;
  private readonly rng: Rng;
  private readonly win: Float32Array;
  private n = 0;
  text: string;
  done = false;

  constructor(private readonly o: SampleOptions) {
    this.index = new Map(o.vocab.map((c, i) => [c, i]));
    const newline = this.index.get('\n');
    this.pad = newline ?? 0;
    this.stop = o.stopAt === undefined ? (newline !== undefined ? '\n' : null) : o.stopAt;
    this.rng = new Rng(o.seed ?? 1);
    const prefix = Array.from(o.prefix ?? '').filter((c) => this.index.has(c));
    this.ids = [...(newline !== undefined ? [newline] : []), ...prefix.map((c) => this.index.get(c)!)];
    this.text = prefix.join('');
    this.win = new Float32Array(o.seqLen);
    this.done = (o.maxChars ?? 40) <= 0;
  }

  /** The last seqLen ids, left-padded with line breaks. */
  window(): Float32Array {
    const T = this.o.seqLen;
    for (let q = 0; q < T; q++) {
      const at = this.ids.length - T + q;
      this.win[q] = at >= 0 ? this.ids[at]! : this.pad;
    }
    return this.win;
  }

  push(p: Float32Array): void {
    const id = draw(p, this.o.temperature ?? 1, this.rng);
    const ch = this.o.vocab[id]!;
    this.n++;
    if (ch === this.stop) this.done = true;
    else {
      this.ids.push(id);
      this.text += ch;
      if (this.n >= (this.o.maxChars ?? 40)) this.done = true;
    }
  }
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
