import type { AutoencoderView } from '../../coordinator/model/view/types';
import { CLASS_COLORS } from './modelView';

/**
 * An autoencoder on the dashboard: test digits (top row) above their
 * reconstructions by the class model (bottom row); with a 2-unit code, the
 * codes of test digits as a scatter coloured by digit, so the class sees
 * the encoder sort digits it was never told the labels of.
 */
export function drawAutoencoder(v: AutoencoderView, root: HTMLElement): void {
  const pairs = root.querySelector<HTMLElement>('.ae-pairs')!;
  const [h, w] = v.size;
  const image = (pix: number[], title: string): HTMLCanvasElement => {
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    c.title = title;
    const img = new ImageData(w, h);
    pix.forEach((p, k) => {
      // Ink dark on light, as on paper (the misclassified digits are drawn the same way).
      img.data[4 * k] = img.data[4 * k + 1] = img.data[4 * k + 2] = 255 - p;
      img.data[4 * k + 3] = 255;
    });
    c.getContext('2d')!.putImageData(img, 0, 0);
    return c;
  };
  pairs.style.gridTemplateColumns = `5.5rem repeat(${v.inputs.length}, minmax(0, 1fr))`;
  const label = (t: string): HTMLElement => Object.assign(document.createElement('span'), { textContent: t });
  pairs.replaceChildren(label('test digit'), ...v.inputs.map((p, i) => image(p, `test image ${i + 1}`)), label('rebuilt'), ...v.outputs.map((p, i) => image(p, `reconstruction ${i + 1}`)));
  pairs.dataset.version = String(v.version);
  const cap = root.querySelector<HTMLElement>('.ae-caption')!;
  cap.textContent = `Top: test digits the model never trained on. Bottom: what the class model rebuilds from its ${v.codes ? '2' : 'small'}-number code (step ${v.step}; mean squared error ${v.mse.toFixed(4)} per pixel).`;
  const scatter = root.querySelector<HTMLCanvasElement>('canvas.ae-codes')!;
  const legend = root.querySelector<HTMLElement>('.ae-legend')!;
  scatter.hidden = legend.hidden = v.codes === null;
  if (v.codes) drawCodes(v.codes, scatter, legend, v.classNames);
}

function drawCodes(codes: [number, number, number][], canvas: HTMLCanvasElement, legend: HTMLElement, names: string[] | null): void {
  const css = canvas.clientWidth || 320;
  const px = Math.round(css * (devicePixelRatio || 1));
  canvas.width = canvas.height = px;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, px, px);
  const xs = codes.map((c) => c[0]);
  const ys = codes.map((c) => c[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 0.05 * px;
  const X = (x: number): number => pad + ((x - x0) / (x1 - x0 || 1)) * (px - 2 * pad);
  const Y = (y: number): number => px - pad - ((y - y0) / (y1 - y0 || 1)) * (px - 2 * pad);
  const r = Math.max(1.5, px / 160);
  for (const [x, y, c] of codes) {
    ctx.beginPath();
    ctx.arc(X(x), Y(y), r, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLORS[c % CLASS_COLORS.length]!;
    ctx.globalAlpha = 0.75;
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  canvas.dataset.points = String(codes.length);
  const classes = [...new Set(codes.map((c) => c[2]))].sort((a, b) => a - b);
  legend.innerHTML = classes.map((c) => `<span><i style="background:${CLASS_COLORS[c % CLASS_COLORS.length]}"></i>${names?.[c] ?? c}</span>`).join('');
}
