import type { DashboardBase } from '../../shared/protocol/dashboard';
import { decodeDataset } from '../../shared/data/codec';
import type { Dataset } from '../../shared/data/dataset';

/**
 * The misclassified test images, drawn from the run's own dataset file
 * (/data/<hash>, decoded with shared/data/codec) with the predicted and true
 * labels. Only for image datasets (inputs H x W or H x W x 1); the file is
 * fetched once, when the first misclassified sample is known.
 */
export function isImageDataset(b: DashboardBase): boolean {
  const s = b.dataset.inputShape;
  return b.dataset.task === 'classification' && (s.length === 2 || (s.length === 3 && s[2] === 1)) && s[0]! >= 8 && s[1]! >= 8;
}

export class MisclassifiedGrid {
  private dataset: Promise<Dataset> | null = null;
  private shown = '';

  constructor(
    private readonly grid: HTMLElement,
    private readonly caption: HTMLElement,
  ) {}

  update(b: DashboardBase): void {
    const items = b.misclassified;
    if (items.length === 0) {
      this.caption.textContent = b.state === 'done' ? 'No misclassified test images.' : 'Appears after the final test pass.';
      if (this.shown !== '') this.grid.innerHTML = '';
      this.shown = '';
      return;
    }
    const key = `${b.runId}:${items.length}`;
    if (key === this.shown) return;
    this.shown = key;
    this.caption.textContent = `${items.length} misclassified test images (up to 64): predicted label, then the true one.`;
    this.dataset ??= fetch(b.dataset.url)
      .then((r) => {
        if (!r.ok) throw new Error(`dataset download failed: HTTP ${r.status}`);
        return r.arrayBuffer();
      })
      .then((buf) => decodeDataset(new Uint8Array(buf), b.dataset.url));
    const names = b.dataset.classNames;
    const label = (i: number): string => names?.[i] ?? String(i);
    void this.dataset
      .then((ds) => {
        if (this.shown !== key) return;
        const [h, w] = ds.meta.inputShape as [number, number];
        const scale = ds.meta.featureType === 'u8' ? 1 : 255;
        this.grid.replaceChildren(
          ...items.map((m) => {
            const fig = document.createElement('figure');
            const c = document.createElement('canvas');
            c.width = w;
            c.height = h;
            const ctx = c.getContext('2d')!;
            const img = ctx.createImageData(w, h);
            for (let i = 0; i < w * h; i++) {
              // Ink dark on light, as on paper.
              const v = 255 - Math.max(0, Math.min(255, Math.round(ds.features[m.index * w * h + i]! * scale)));
              img.data.set([v, v, v, 255], 4 * i);
            }
            ctx.putImageData(img, 0, 0);
            const cap = document.createElement('figcaption');
            cap.innerHTML = `<b>${label(m.predicted)}</b> <s>${label(m.truth)}</s>`;
            cap.title = `sample ${m.index}: predicted ${label(m.predicted)}, true ${label(m.truth)}`;
            fig.append(c, cap);
            return fig;
          }),
        );
      })
      .catch((e: unknown) => {
        this.caption.textContent = `Could not draw the images: ${e instanceof Error ? e.message : String(e)}`;
        this.dataset = null;
      });
  }
}
