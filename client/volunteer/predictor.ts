import type { ModelFacts, Prediction } from '../peer/hostMessages';
import { DrawPad } from './drawPad';
import { softmaxIfNeeded } from '../../shared/data/probabilities';

/**
 * The drawing pad's brain: the tab's own model with the latest weights it
 * received (a shard's weights during training, the final weights at the
 * end) predicts the drawn digit; the page shows every class's probability.
 */
export function isImageClassifier(m: ModelFacts): boolean {
  const s = m.inputShape;
  return m.task === 'classification' && m.numClasses > 2 && (s.length === 2 || (s.length === 3 && s[2] === 1)) && s[0]! >= 8 && s[1]! >= 8;
}

/** The peer's model (in its worker or in the page), asked for predictions. */
export interface PredictSource {
  model: ModelFacts | null;
  predict(pixels: Float32Array): Promise<Prediction>;
}

export class Predictor {
  private source: PredictSource | null = null;
  /** Answers can overtake each other: only the newest request's is shown. */
  private asked = 0;
  private queued = false;
  private lastAuto = 0;
  readonly pad: DrawPad;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly out: { digit: HTMLElement; bars: HTMLElement; note: HTMLElement },
  ) {
    this.pad = new DrawPad(canvas, (final) => this.schedule(final));
  }

  attach(s: PredictSource): void {
    this.source = s;
  }

  clear(): void {
    this.pad.clear();
    this.out.digit.textContent = '?';
    this.out.digit.dataset.label = '';
    this.out.digit.classList.remove('thinking');
    this.out.bars.replaceChildren();
    this.out.note.textContent = 'Draw a digit in the box.';
  }

  private schedule(final: boolean): void {
    if (final) return void this.predict();
    if (this.queued) return;
    this.queued = true;
    setTimeout(() => {
      this.queued = false;
      this.predict();
    }, 150);
  }

  /** New weights arrived: redo the prediction (at most once a second) so students watch it learn. */
  weightsChanged(): void {
    const now = performance.now();
    if (this.pad.empty || now - this.lastAuto < 1000) return;
    this.lastAuto = now;
    this.predict();
  }

  predict(): void {
    void this.ask().catch(() => undefined);
  }

  private async ask(): Promise<void> {
    const model = this.source?.model;
    if (!this.source || !model) return;
    const [h, w] = model.inputShape as [number, number];
    const x = this.pad.sample(h, w);
    if (!x) return;
    const ticket = ++this.asked;
    // The first answer can take a while (the model compiles): say so instead of a stale "?".
    if (!this.out.digit.dataset.label) {
      this.out.digit.textContent = 'thinking...';
      this.out.digit.classList.add('thinking');
    }
    const answer = await this.source.predict(x);
    if (ticket !== this.asked || !answer.probs || this.pad.empty) return;
    const probs = softmaxIfNeeded(answer.probs);
    const names = model.classNames;
    let best = 0;
    probs.forEach((p, i) => (p > probs[best]! ? (best = i) : 0));
    const label = (i: number): string => names?.[i] ?? String(i);
    this.out.digit.classList.remove('thinking');
    this.out.digit.textContent = label(best);
    this.out.digit.dataset.label = label(best);
    this.out.bars.replaceChildren(
      ...probs.map((p, i) => {
        const row = document.createElement('div');
        row.className = i === best ? 'prob best' : 'prob';
        row.dataset.p = p.toFixed(4);
        row.innerHTML = `<span>${label(i)}</span><i style="width:${(100 * p).toFixed(1)}%"></i><em>${(100 * p).toFixed(1)}%</em>`;
        return row;
      }),
    );
    this.out.note.textContent = answer.weightsVersion < 0 ? 'The model has not been trained yet: this guess is random.' : `Model version ${answer.weightsVersion}, computed in this tab.`;
  }
}
