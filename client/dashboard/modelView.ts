import type { ModelView } from '../../coordinator/session/modelView';

/**
 * Draws the coordinator's picture of the model (GET /api/view): decision
 * regions under the training points for the 2-D sets, the fitted curve over
 * the data for a 1-D regression, first-layer weights or filters as images.
 * The dashboard and the volunteer page share it, so both show the same.
 * The canvas carries `data-version` (weights version drawn) for tests.
 */
export const CLASS_COLORS = ['#2563eb', '#f97316', '#16a34a', '#dc2626', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

export interface ViewTargets {
  canvas: HTMLCanvasElement;
  filters?: HTMLElement;
  caption: HTMLElement;
  title?: HTMLElement;
}

export function drawModelView(v: ModelView, t: ViewTargets): void {
  t.canvas.dataset.version = String(v.version);
  t.canvas.dataset.kind = v.kind;
  if (v.kind === 'boundary') return drawBoundary(v, t);
  if (v.kind === 'curve') return drawCurve(v, t);
  t.canvas.hidden = true;
  if (v.kind === 'filters' && t.filters) return drawFilters(v, t.filters, t);
  if (t.filters) t.filters.hidden = true;
  t.caption.textContent = 'No picture for this model: its input is not 2-D points, a 1-D curve or an image.';
}

function setup(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  canvas.hidden = false;
  const css = canvas.clientWidth || 320;
  const px = Math.round(css * (devicePixelRatio || 1));
  if (canvas.width !== px) canvas.width = canvas.height = px;
  return canvas.getContext('2d')!;
}

function hexToRgb(h: string): [number, number, number] {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function drawBoundary(v: Extract<ModelView, { kind: 'boundary' }>, t: ViewTargets): void {
  const ctx = setup(t.canvas);
  const W = t.canvas.width;
  const g = v.grid;
  // The regions: each cell in its class's colour, paler where the model is unsure.
  const img = new ImageData(g, g);
  for (let i = 0; i < g * g; i++) {
    const [r, gr, b] = hexToRgb(CLASS_COLORS[v.cls[i]! % CLASS_COLORS.length]!);
    const a = 0.15 + 0.5 * v.conf[i]!;
    img.data[4 * i] = Math.round(255 - a * (255 - r));
    img.data[4 * i + 1] = Math.round(255 - a * (255 - gr));
    img.data[4 * i + 2] = Math.round(255 - a * (255 - b));
    img.data[4 * i + 3] = 255;
  }
  const off = new OffscreenCanvas(g, g);
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, W, W);
  const [x0, x1, y0, y1] = v.extent;
  const r = Math.max(2, W / 110);
  for (const [x, y, c] of v.points) {
    ctx.beginPath();
    ctx.arc(((x - x0) / (x1 - x0)) * W, ((y1 - y) / (y1 - y0)) * W, r, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLORS[c % CLASS_COLORS.length]!;
    ctx.fill();
    ctx.lineWidth = Math.max(1, W / 400);
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
  if (t.filters) t.filters.hidden = true;
  t.caption.textContent = `Dots: training points, coloured by class. Background: the class the model predicts at each spot (paler = less sure). Step ${v.step}, updated as the model trains.`;
  if (t.title) t.title.textContent = 'What the model sees: decision regions';
}

function drawCurve(v: Extract<ModelView, { kind: 'curve' }>, t: ViewTargets): void {
  const ctx = setup(t.canvas);
  const W = t.canvas.width;
  const ys = [...v.points.map((p) => p[1]), ...v.ys];
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const [x0, x1] = [v.xs[0]!, v.xs.at(-1)!];
  const X = (x: number): number => ((x - x0) / (x1 - x0 || 1)) * W * 0.94 + W * 0.03;
  const Y = (y: number): number => W * 0.97 - ((y - lo) / (hi - lo || 1)) * W * 0.94;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, W);
  ctx.fillStyle = '#93c5fd';
  for (const [x, y] of v.points) ctx.fillRect(X(x) - 2, Y(y) - 2, 4, 4);
  ctx.strokeStyle = '#dc2626';
  ctx.lineWidth = Math.max(2, W / 150);
  ctx.beginPath();
  v.xs.forEach((x, i) => (i === 0 ? ctx.moveTo(X(x), Y(v.ys[i]!)) : ctx.lineTo(X(x), Y(v.ys[i]!))));
  ctx.stroke();
  if (t.filters) t.filters.hidden = true;
  t.caption.textContent = `Blue dots: training data. Red line: the function the model has fitted so far (step ${v.step}).`;
  if (t.title) t.title.textContent = 'What the model sees: the fitted function';
}

function drawFilters(v: Extract<ModelView, { kind: 'filters' }>, root: HTMLElement, t: ViewTargets): void {
  root.hidden = false;
  const [h, w] = v.size;
  while (root.children.length < v.images.length) root.appendChild(document.createElement('canvas'));
  v.images.forEach((pix, i) => {
    const c = root.children[i] as HTMLCanvasElement;
    c.width = w;
    c.height = h;
    const img = new ImageData(w, h);
    pix.forEach((p, k) => {
      img.data[4 * k] = img.data[4 * k + 1] = img.data[4 * k + 2] = p;
      img.data[4 * k + 3] = 255;
    });
    c.getContext('2d')!.putImageData(img, 0, 0);
  });
  root.dataset.version = String(v.version);
  const conv = h <= 11;
  t.caption.textContent = conv
    ? `The first layer's ${v.images.length} filters (${h}×${w}): light = positive weight, dark = negative. Each looks for one small pattern (step ${v.step}).`
    : `What each of the first ${v.images.length} hidden units looks for: its weights over the image, light = positive, dark = negative (step ${v.step}).`;
  if (t.title) t.title.textContent = conv ? 'What the model sees: first-layer filters' : 'What the model sees: first-layer weights';
}

/** Asks the coordinator for the view every `ms` while the page is visible; draws when the weights changed. */
export function pollModelView(url: string, t: ViewTargets, ms = 1500, onKind?: (kind: ModelView['kind']) => void): () => void {
  let last = -1;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (document.visibilityState === 'visible') {
      try {
        const r = await fetch(url, { cache: 'no-store' });
        if (r.ok) {
          const v = (await r.json()) as ModelView;
          onKind?.(v.kind);
          if (v.version !== last && !stopped) {
            last = v.version;
            drawModelView(v, t);
          }
        }
      } catch {
        // The coordinator is away: the feed's banner says so; try again later.
      }
    }
    if (!stopped) setTimeout(() => void tick(), ms);
  };
  void tick();
  return () => (stopped = true);
}
