import type { ProjectionView } from '../../coordinator/model/view/types';
import { CLASS_COLORS } from './modelView';

/**
 * A tabular classifier with more than two features (iris) on the dashboard:
 * its decision regions in 2-D projections, two features varying and the
 * others held at their training means (said under each panel), with the
 * training points at their own two values. Axes in the data's units.
 */
export function drawProjections(v: ProjectionView, root: HTMLElement): void {
  const wrap = root.querySelector<HTMLElement>('.proj-panels')!;
  while (wrap.children.length < v.panels.length) {
    const fig = document.createElement('figure');
    fig.append(document.createElement('canvas'), document.createElement('figcaption'));
    wrap.appendChild(fig);
  }
  v.panels.forEach((p, i) => {
    const fig = wrap.children[i] as HTMLElement;
    const canvas = fig.querySelector('canvas')!;
    drawPanel(p, canvas);
    const held = v.held[i]!.map((x) => `${x.name} ${x.value.toFixed(2)}`).join(', ');
    fig.querySelector('figcaption')!.textContent = `${p.yName} (up) against ${p.xName} (across)${held ? `; held at the training mean: ${held}` : ''}`;
  });
  wrap.dataset.version = String(v.version);
  const legend = root.querySelector<HTMLElement>('.proj-legend')!;
  const n = Math.max(...v.panels.flatMap((p) => p.points.map((q) => q[2])), 0) + 1;
  legend.innerHTML = Array.from({ length: n }, (_, c) => `<span><i style="background:${CLASS_COLORS[c % CLASS_COLORS.length]}"></i>${v.classNames?.[c] ?? c}</span>`).join('');
  root.querySelector<HTMLElement>('.proj-caption')!.textContent = `Background: the class the model predicts (paler = less sure), step ${v.step}. Dots: training samples. Each panel is one slice through a ${v.panels.length > 0 ? v.held[0]!.length + 2 : 0}-feature space.`;
}

function hexToRgb(h: string): [number, number, number] {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function drawPanel(p: ProjectionView['panels'][number], canvas: HTMLCanvasElement): void {
  const css = canvas.clientWidth || 300;
  const px = Math.round(css * (devicePixelRatio || 1));
  canvas.width = canvas.height = px;
  const ctx = canvas.getContext('2d')!;
  const g = p.grid;
  const img = new ImageData(g, g);
  for (let i = 0; i < g * g; i++) {
    const [r, gr, b] = hexToRgb(CLASS_COLORS[p.cls[i]! % CLASS_COLORS.length]!);
    const a = 0.15 + 0.5 * p.conf[i]!;
    img.data.set([Math.round(255 - a * (255 - r)), Math.round(255 - a * (255 - gr)), Math.round(255 - a * (255 - b)), 255], 4 * i);
  }
  const off = new OffscreenCanvas(g, g);
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, px, px);
  const [x0, x1, y0, y1] = p.extent;
  const r = Math.max(2, px / 110);
  for (const [x, y, c] of p.points) {
    ctx.beginPath();
    ctx.arc(((x - x0) / (x1 - x0)) * px, ((y1 - y) / (y1 - y0)) * px, r, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLORS[c % CLASS_COLORS.length]!;
    ctx.fill();
    ctx.lineWidth = Math.max(1, px / 400);
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
  // Axis ends, in the data's units.
  ctx.font = `${Math.round(px / 26)}px system-ui, sans-serif`;
  ctx.fillStyle = '#374151';
  ctx.fillText(x0.toFixed(1), 4, px - 6);
  const right = x1.toFixed(1);
  ctx.fillText(right, px - ctx.measureText(right).width - 4, px - 6);
  ctx.fillText(y1.toFixed(1), 4, px / 22 + 4);
}
