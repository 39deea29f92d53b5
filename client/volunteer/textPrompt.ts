import type { Continuation, ModelFacts, SampleRequest } from '../peer/hostMessages';

/**
 * The prefix box of a text model (the drawing pad's counterpart): a student
 * types the start of a name (or of a line), picks a temperature, and the
 * tab's own copy of the class model, with the latest weights it received,
 * writes three continuations, computed in the tab (textModel.ts). They are
 * redone as new weights arrive (at most every 3 s), so the student watches
 * the names improve. Seeds 1-3: the same weights, prefix and temperature
 * give the same texts as `tabtrain sample` on an export of those weights.
 */
export interface TextSource {
  model: ModelFacts | null;
  sample(r: SampleRequest): Promise<Continuation>;
}

export interface TextPromptTargets {
  form: HTMLFormElement;
  prefix: HTMLInputElement;
  temperature: HTMLInputElement;
  temperatureValue: HTMLElement;
  out: HTMLElement;
  note: HTMLElement;
}

const SEEDS = [1, 2, 3];
const MAX_CHARS = 24;
const AUTO_MS = 3000;

/** The prefix as the model's alphabet can read it: a letter missing in one case is tried in the other; the rest is dropped. */
export function fitPrefix(text: string, vocab: readonly string[]): { prefix: string; dropped: string } {
  const have = new Set(vocab);
  let prefix = '';
  let dropped = '';
  for (const c of text) {
    if (c === '\n') continue;
    const fit = have.has(c) ? c : have.has(c.toLowerCase()) ? c.toLowerCase() : have.has(c.toUpperCase()) ? c.toUpperCase() : null;
    if (fit === null) dropped += c;
    else prefix += fit;
  }
  return { prefix, dropped };
}

export class TextPrompt {
  private source: TextSource | null = null;
  private asked = 0;
  private lastAuto = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly t: TextPromptTargets) {
    t.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.ask();
    });
    t.prefix.addEventListener('input', () => this.soon());
    t.temperature.addEventListener('input', () => {
      t.temperatureValue.textContent = Number(t.temperature.value).toFixed(1);
      this.soon();
    });
    t.temperatureValue.textContent = Number(t.temperature.value).toFixed(1);
  }

  attach(s: TextSource): void {
    this.source = s;
    this.ask();
  }

  /** New weights arrived: write again (at most every 3 s) so the student sees the model learn. */
  weightsChanged(): void {
    const now = performance.now();
    if (!this.source || now - this.lastAuto < AUTO_MS) return;
    this.lastAuto = now;
    this.ask();
  }

  private soon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.ask(), 250);
  }

  ask(): void {
    void this.write().catch((e: unknown) => (this.t.note.textContent = `Could not write: ${e instanceof Error ? e.message : String(e)}`));
  }

  private async write(): Promise<void> {
    const model = this.source?.model;
    if (!this.source || !model || model.task !== 'sequence') return;
    const { prefix, dropped } = fitPrefix(this.t.prefix.value, model.classNames ?? []);
    const temperature = Number(this.t.temperature.value);
    const ticket = ++this.asked;
    if (this.t.out.children.length === 0) this.t.out.textContent = 'writing...';
    const c = await this.source.sample({ prefix, temperature, seeds: SEEDS, maxChars: MAX_CHARS });
    if (ticket !== this.asked) return;
    if (!c.texts) {
      this.t.note.textContent = 'The model is not ready in this tab yet.';
      return;
    }
    this.t.out.replaceChildren(
      ...c.texts.map((text) => {
        const li = document.createElement('li');
        const b = document.createElement('b');
        b.textContent = text.slice(0, prefix.length);
        const rest = document.createElement('span');
        rest.textContent = text.slice(prefix.length) || '(ends here)';
        li.append(b, rest);
        return li;
      }),
    );
    this.t.out.dataset.version = String(c.weightsVersion);
    this.t.out.dataset.prefix = prefix;
    const skipped = dropped ? ` Left out (not in the model's alphabet): ${JSON.stringify(dropped)}.` : '';
    this.t.note.textContent =
      (c.weightsVersion < 0 ? 'The model has not been trained yet: these are random letters.' : `Model version ${c.weightsVersion}, written in this tab in ${Math.round(c.ms)} ms.`) + skipped;
  }
}
