import uPlot from 'uplot';
import type { RunSummary } from '../../coordinator/session/runSummary';
import { CLASS_COLORS } from './modelView';

/** One chart as chartPng.ts draws it: its canvas, title and legend. */
export interface PngPanel {
  title: string;
  canvas: HTMLCanvasElement;
  series: { label: string; color: string }[];
}

/**
 * Two or more runs on one chart: loss per step or per second, validation
 * accuracy per epoch or per second. uPlot wants one x array, so the runs'
 * x values are merged and each run has gaps where it has no point.
 * The container carries `data-series` (runs drawn) and `data-points`.
 */
export type OverlayX = 'step' | 'seconds' | 'epoch';
export type OverlayY = 'loss' | 'accuracy';

const WHOLE_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

export class OverlayChart {
  private plot: uPlot | null = null;
  private key = '';

  constructor(private readonly el: HTMLElement) {}

  draw(runs: RunSummary[], y: OverlayY, x: OverlayX): void {
    const key = JSON.stringify([runs.map((r) => [r.n, r.loss.length, r.valAccuracy.length]), x, y]);
    if (key === this.key) return;
    this.key = key;
    const curves = runs.map((r) =>
      y === 'loss'
        ? r.loss.map(([step, t, l]) => [x === 'seconds' ? t : step, l] as [number, number])
        : r.valAccuracy.filter((v) => v[2] !== null).map(([epoch, t, a]) => [x === 'seconds' ? t : epoch, a!] as [number, number]),
    );
    const xs = [...new Set(curves.flatMap((c) => c.map((p) => p[0])))].sort((a, b) => a - b);
    const at = new Map(xs.map((v, i) => [v, i]));
    const data: (number | null)[][] = [xs, ...curves.map((c) => {
      const col: (number | null)[] = new Array<number | null>(xs.length).fill(null);
      for (const [px, py] of c) col[at.get(px)!] = py;
      return col;
    })];
    const xLabel = x === 'seconds' ? 'seconds since the run started' : x === 'epoch' ? 'epoch' : 'training step';
    const yLabel = y === 'loss' ? 'training loss' : 'validation accuracy (%)';
    this.plot?.destroy();
    this.plot = new uPlot(
      {
        width: Math.max(300, this.el.clientWidth),
        height: 300,
        scales: { x: { time: false }, ...(y === 'accuracy' ? { y: { range: [0, 1] } } : {}) },
        axes: [
          // Steps and epochs are whole numbers: no 2.5 on the axis.
          { label: xLabel, ...(x === 'seconds' ? {} : { incrs: WHOLE_INCRS }) },
          { label: yLabel, size: 60, ...(y === 'accuracy' ? { values: (_u: uPlot, vs: number[]) => vs.map((v) => `${Math.round(100 * v)}%`) } : {}) },
        ],
        series: [{ label: xLabel }, ...runs.map((r, i) => ({ label: r.label, stroke: CLASS_COLORS[i % CLASS_COLORS.length]!, width: 2, spanGaps: true, points: { show: y === 'accuracy' } }))],
      },
      data as uPlot.AlignedData,
      this.el,
    );
    this.el.dataset.series = String(runs.length);
    this.el.dataset.points = String(xs.length);
  }

  /** The chart's canvas and legend, for a PNG export (chartPng.ts). */
  panel(title: string): PngPanel | null {
    const u = this.plot;
    if (!u) return null;
    return { title, canvas: u.ctx.canvas, series: u.series.slice(1).map((s) => ({ label: String(s.label ?? ''), color: String(s.stroke instanceof Function ? s.stroke(u, 1) : (s.stroke ?? '#000')) })) };
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}
