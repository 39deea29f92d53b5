import { nextCharsFrom } from '../../../client/trainer/textModel';
import { sampleTexts } from '../../../shared/data/sampleText';
import { loadNameList } from '../../datasets/text';
import type * as tf from '@tensorflow/tfjs';
import type { TrainingCoordinator } from '../../run/coordinator';
import type { TextSnapshot, TextView } from './types';

/**
 * Generated text for the dashboard: five samples (seeds 1-5, temperature
 * 0.8, no prefix) from the coordinator's weights, the same texts `tabtrain
 * sample --seed 1 --count 5` prints from an export of those weights. One
 * batched model call per character, yielding between characters, so the
 * coordinator's event loop stays free. The first snapshot seen is kept and
 * the rest thinned to one per eighth of the run, so the panel shows the
 * names improving as training goes.
 */
export const TEXT_SEEDS = [1, 2, 3, 4, 5];
export const TEXT_TEMPERATURE = 0.8;
const MAX_CHARS = 24;
const MAX_SNAPSHOTS = 9;

export class TextSamples {
  private readonly snapshots: TextSnapshot[] = [];
  private known: Set<string> | null = null;

  constructor(private readonly run: TrainingCoordinator) {}

  /** `model` holds the weights of `version` (courseView.ts builds it once and assigns each version's). */
  async compute(version: number, model: tf.LayersModel): Promise<TextView> {
    const s = this.run.setup;
    const meta = s.dataset.meta;
    const step = this.run.step;
    const samples = await sampleTexts(nextCharsFrom(model), { vocab: meta.classNames ?? [], seqLen: meta.inputShape[0]!, temperature: TEXT_TEMPERATURE, maxChars: MAX_CHARS }, TEXT_SEEDS, () => new Promise((r) => setImmediate(r)));
    this.remember({ step, version, samples }, Math.max(1, this.run.totalSteps));
    if (meta.name === 'names') this.known ??= new Set(loadNameList());
    const novel = this.known ? samples.filter((x) => x.length > 0 && !this.known!.has(x)).length : null;
    return { kind: 'text', version, step, temperature: TEXT_TEMPERATURE, seeds: TEXT_SEEDS, snapshots: [...this.snapshots], novel };
  }

  /** Keeps the first, then at most one per eighth of the run; the latest always replaces a same-eighth predecessor. */
  private remember(snap: TextSnapshot, total: number): void {
    const bucket = (x: TextSnapshot): number => Math.floor((8 * x.step) / total);
    const last = this.snapshots.at(-1);
    if (last && this.snapshots.length > 1 && bucket(last) === bucket(snap)) this.snapshots[this.snapshots.length - 1] = snap;
    else if (last && last.version === snap.version) this.snapshots[this.snapshots.length - 1] = snap;
    else this.snapshots.push(snap);
    if (this.snapshots.length > MAX_SNAPSHOTS) this.snapshots.splice(1, 1);
  }
}
