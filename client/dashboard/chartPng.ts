import type { RunSummary } from '../../coordinator/session/runSummary';
import { OverlayChart, type PngPanel } from './overlayChart';

/**
 * Charts as one PNG file: a heading, then each chart on white with its title
 * and its legend. uPlot draws the plot, axes and axis labels on its canvas
 * but the title and legend in HTML, so they are drawn here beside it.
 */
export function chartsPng(heading: string, panels: PngPanel[]): string {
  const scale = panels[0]?.canvas.width && panels[0].canvas.clientWidth ? panels[0].canvas.width / panels[0].canvas.clientWidth : 1;
  const pad = Math.round(16 * scale);
  const line = Math.round(22 * scale);
  const width = Math.max(600 * scale, ...panels.map((p) => p.canvas.width)) + 2 * pad;
  const heights = panels.map((p) => line + p.canvas.height + line * Math.ceil(p.series.length / 2) + pad);
  const out = document.createElement('canvas');
  out.width = width;
  out.height = pad + line * 1.4 + heights.reduce((a, b) => a + b, 0);
  const g = out.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, out.width, out.height);
  g.fillStyle = '#111827';
  g.textBaseline = 'top';
  g.font = `600 ${Math.round(18 * scale)}px system-ui, sans-serif`;
  g.fillText(heading, pad, pad);
  let y = pad + line * 1.4;
  panels.forEach((p, i) => {
    g.fillStyle = '#374151';
    g.font = `600 ${Math.round(15 * scale)}px system-ui, sans-serif`;
    g.fillText(p.title, pad, y);
    g.drawImage(p.canvas, pad, y + line);
    let ly = y + line + p.canvas.height + line * 0.3;
    g.font = `${Math.round(13 * scale)}px system-ui, sans-serif`;
    p.series.forEach((s, k) => {
      const x = pad + (k % 2) * (width / 2);
      if (k > 0 && k % 2 === 0) ly += line;
      g.fillStyle = s.color;
      g.fillRect(x, ly + 0.3 * line, 0.9 * line, 0.25 * line);
      g.fillStyle = '#111827';
      g.fillText(s.label, x + 1.2 * line, ly);
    });
    y += heights[i]!;
  });
  return out.toDataURL('image/png');
}

/** One run's charts (training loss per step, validation accuracy per epoch) as a PNG data URL, drawn off screen. */
export async function runPng(run: RunSummary): Promise<string> {
  const host = document.createElement('div');
  host.style.cssText = 'position:fixed;left:-10000px;top:0;width:900px;';
  document.body.append(host);
  const charts: OverlayChart[] = [];
  try {
    const panels: PngPanel[] = [];
    const wanted: ['loss' | 'accuracy', 'step' | 'epoch', string][] = [['loss', 'step', 'Training loss per step']];
    if (run.valAccuracy.some((v) => v[2] !== null)) wanted.push(['accuracy', 'epoch', 'Validation accuracy per epoch']);
    for (const [y, x, title] of wanted) {
      const el = document.createElement('div');
      host.append(el);
      const c = new OverlayChart(el);
      charts.push(c);
      c.draw([run], y, x);
      await new Promise((r) => requestAnimationFrame(r));
      const p = c.panel(title);
      if (p) panels.push(p);
    }
    const result = run.testAccuracy === null ? '' : `, test accuracy ${(100 * run.testAccuracy).toFixed(1)}%`;
    return chartsPng(`tabtrain run ${run.label}${result}`, panels);
  } finally {
    for (const c of charts) c.destroy();
    host.remove();
  }
}

/** Saves a data URL as a file, as a download link would. */
export function download(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}
