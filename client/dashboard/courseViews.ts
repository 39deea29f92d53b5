import type { CourseView } from '../../coordinator/model/view/types';
import { drawAutoencoder } from './autoencoderView';
import type { RunView } from './feed';
import { drawProjections } from './projectionsView';
import { drawPerplexity, drawTextSamples } from './textSamples';

/**
 * The course's panel on the dashboard (GET /api/course): generated text for
 * a character model, reconstructions and 2-D codes for an autoencoder,
 * decision regions in 2-D projections for iris-like tables. It fills the one
 * empty card the page has for it (`#course-card`), with its own markup and
 * styles, so the page itself only mounts it.
 */
const STYLE = `
#course-card { grid-column: 1 / -1; }
#course-card .samples { border-collapse: collapse; font: 1rem/1.35 ui-monospace, Menlo, Consolas, monospace; width: 100%; table-layout: fixed; }
#course-card .samples th { width: 7.5rem; }
#course-card .samples th { text-align: left; font: 600 .8rem system-ui, sans-serif; color: #6b7280; padding: .25rem .6rem .25rem 0; white-space: nowrap; }
#course-card .samples td { padding: .25rem .7rem; border-bottom: 1px solid #e5e7eb; overflow-wrap: anywhere; word-break: break-all; vertical-align: top; }
#course-card .samples tr.now td { font-weight: 700; color: #1d4ed8; font-size: 1.1rem; }
#course-card .text-grid { display: grid; grid-template-columns: minmax(0, 2fr) minmax(16rem, 1fr); gap: 1rem 1.5rem; align-items: start; }
#course-card .text-figures { display: grid; gap: .2rem; font-size: .9rem; margin-bottom: .4rem; }
#course-card canvas.ppl { width: 100%; height: 140px; display: block; }
#course-card .ae-grid { display: grid; grid-template-columns: minmax(0, 2fr) minmax(14rem, 1fr); gap: 1rem 1.5rem; align-items: start; }
#course-card .ae-pairs { display: grid; gap: 3px; align-items: center; }
#course-card .ae-pairs span { font-size: .8rem; color: #6b7280; }
#course-card .ae-pairs canvas { width: 100%; image-rendering: pixelated; border: 1px solid #e5e7eb; }
#course-card canvas.ae-codes { width: min(340px, 100%); aspect-ratio: 1; border: 1px solid #e5e7eb; border-radius: 6px; display: block; }
#course-card .legend { display: flex; flex-wrap: wrap; gap: .3rem .8rem; font-size: .82rem; margin-top: .3rem; }
#course-card .legend i { display: inline-block; width: .75rem; height: .75rem; border-radius: 50%; margin-right: .25rem; vertical-align: -1px; }
#course-card .proj-panels { display: flex; flex-wrap: wrap; gap: 1rem; }
#course-card .proj-panels figure { margin: 0; width: min(300px, 100%); }
#course-card .proj-panels canvas { width: 100%; aspect-ratio: 1; border: 1px solid #e5e7eb; border-radius: 6px; display: block; }
#course-card figcaption, #course-card .caption { font-size: .82rem; color: #6b7280; }
@media (max-width: 900px) { #course-card .text-grid, #course-card .ae-grid { grid-template-columns: minmax(0, 1fr); } }
`;

const MARKUP: Record<Exclude<CourseView['kind'], 'none'>, string> = {
  text: `<h2>Generated text <small>the class model writes; it improves as training goes</small></h2>
    <div class="text-grid"><div><table class="samples"></table><p class="caption text-caption"></p></div>
    <div><h3 style="font-size:.9rem;margin:0 0 .3rem">Loss per character and perplexity</h3><div class="text-figures"></div><canvas class="ppl" aria-label="perplexity over the steps"></canvas>
    <p class="caption">Purple: perplexity e<sup>loss</sup> of each training step; dashed: a uniform guess over the characters.</p></div></div>`,
  autoencoder: `<h2>Autoencoder <small>digits squeezed through a few numbers and rebuilt</small></h2>
    <div class="ae-grid"><div><div class="ae-pairs"></div><p class="caption ae-caption"></p></div>
    <div><canvas class="ae-codes" aria-label="2-D codes of test digits"></canvas><div class="legend ae-legend"></div>
    <p class="caption">Each dot: one test digit placed at its 2-number code, coloured by its true digit (labels were never used in training).</p></div></div>`,
  projections: `<h2>Decision regions <small>two features at a time, the others at their means</small></h2>
    <div class="proj-panels"></div><div class="legend proj-legend"></div><p class="caption proj-caption"></p>`,
};

export class CourseViews {
  private kind: CourseView['kind'] = 'none';
  private last = -1;
  private stopped = false;

  constructor(private readonly card: HTMLElement, private readonly url: string, private readonly ms = 2000) {
    const style = document.createElement('style');
    style.textContent = STYLE;
    document.head.appendChild(style);
    void this.tick();
  }

  /** Each feed snapshot: the perplexity figures and chart of a text run. */
  update(run: RunView): void {
    if (this.kind === 'text') drawPerplexity(run, this.card);
  }

  stop(): void {
    this.stopped = true;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (document.visibilityState === 'visible') {
      try {
        const r = await fetch(this.url, { cache: 'no-store' });
        if (r.ok) this.show((await r.json()) as CourseView);
      } catch {
        // The coordinator is away: the feed's banner says so; try again later.
      }
    }
    if (!this.stopped) setTimeout(() => void this.tick(), this.ms);
  }

  private show(v: CourseView): void {
    if (v.kind !== this.kind) {
      this.kind = v.kind;
      this.last = -1;
      this.card.hidden = v.kind === 'none';
      this.card.innerHTML = v.kind === 'none' ? '' : MARKUP[v.kind];
      this.card.dataset.kind = v.kind;
    }
    if (v.kind === 'none' || v.version === this.last) return;
    this.last = v.version;
    if (v.kind === 'text') drawTextSamples(v, this.card);
    else if (v.kind === 'autoencoder') drawAutoencoder(v, this.card);
    else drawProjections(v, this.card);
  }
}
