import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RunView } from './feed';

/**
 * The four live charts, drawn with uPlot: training loss per step (with the
 * validation loss at each evaluation and a marker at every control change),
 * validation loss and accuracy per epoch, throughput, and where each step's
 * time went. Each container carries `data-points` (the number of x values)
 * so people and tests can see the data grow.
 */
type Data = uPlot.AlignedData;

/** Whole steps and epochs only on the x axes. */
const STEP_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

const COLORS = { loss: '#2563eb', val: '#dc2626', acc: '#059669', thr: '#7c3aed', thrAvg: '#f59e0b', compute: '#2563eb', transfer: '#38bdf8', wait: '#f59e0b', update: '#a855f7' };

interface Chart {
  el: HTMLElement;
  plot: uPlot;
}

export class Charts {
  private readonly loss: Chart;
  private readonly epochs: Chart;
  private readonly throughput: Chart;
  private readonly breakdown: Chart;
  private markers: { step: number; label: string }[] = [];
  private readonly raw: number[][] = [[], [], [], []];
  private totals: number[] = [];

  constructor(root: { loss: HTMLElement; epochs: HTMLElement; throughput: HTMLElement; breakdown: HTMLElement }) {
    const fmt = (d: number) => (_u: uPlot, v: number | null): string => (v === null || v === undefined ? '-' : v.toFixed(d));
    this.loss = make(root.loss, {
      series: [
        { label: 'step' },
        { label: 'train loss', stroke: COLORS.loss, width: 1.5, value: fmt(4) },
        { label: 'val loss', stroke: COLORS.val, width: 2, spanGaps: true, points: { show: true, size: 6, fill: COLORS.val }, value: fmt(4) },
      ],
      axes: [{ label: 'step', incrs: STEP_INCRS }, {}],
      hooks: { draw: [(u: uPlot) => this.drawMarkers(u)] },
    });
    this.epochs = make(root.epochs, {
      series: [
        { label: 'epoch' },
        { label: 'val loss', stroke: COLORS.val, width: 2, points: { show: true, size: 7, fill: COLORS.val }, value: fmt(4) },
        { label: 'val accuracy', stroke: COLORS.acc, width: 2, scale: 'acc', points: { show: true, size: 7, fill: COLORS.acc }, value: (_u, v) => (v == null ? '-' : `${(100 * v).toFixed(1)}%`) },
      ],
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] }, acc: { range: [0, 1] } },
      axes: [{ label: 'epoch', incrs: STEP_INCRS }, {}, { scale: 'acc', side: 1, grid: { show: false }, values: (_u, vs) => vs.map((v) => `${Math.round(100 * v)}%`) }],
    });
    this.throughput = make(root.throughput, {
      series: [
        { label: 'step' },
        { label: 'samples/s', stroke: COLORS.thr, width: 1, value: fmt(0) },
        { label: 'average (20 steps)', stroke: COLORS.thrAvg, width: 2, value: fmt(0) },
      ],
      axes: [{ label: 'step', incrs: STEP_INCRS }, {}],
    });
    // Stacked: each series is the running sum; the legend shows the part itself.
    const part = (i: number) => (_u: uPlot, _v: number | null, _s: number, idx: number | null): string => (idx === null ? '-' : `${(this.raw[i]![idx] ?? 0).toFixed(1)} ms`);
    this.breakdown = make(root.breakdown, {
      series: [
        { label: 'step' },
        { label: 'aggregation + optimizer', stroke: COLORS.update, fill: COLORS.update, width: 1, value: part(3) },
        { label: 'waiting for the slowest', stroke: COLORS.wait, fill: COLORS.wait, width: 1, value: part(2) },
        { label: 'transfer', stroke: COLORS.transfer, fill: COLORS.transfer, width: 1, value: part(1) },
        { label: 'tab compute', stroke: COLORS.compute, fill: COLORS.compute, width: 1, value: part(0) },
      ],
      axes: [{ label: 'step', incrs: STEP_INCRS }, { label: 'ms', size: 60 }],
      // The first step (compiles) and rare stragglers would flatten the rest: cap at 2.5x the 95th percentile.
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, Math.min(max, 2.5 * percentile(this.totals, 0.95)))] } },
    });
    const ro = new ResizeObserver(() => this.resize());
    for (const c of this.all()) ro.observe(c.el);
  }

  private drawn = '';

  update(v: RunView): void {
    // Redraw only when a curve gained a point or a control was applied.
    const key = `${v.base.runId}/${v.history.length}/${v.breakdown.length}/${v.base.evals.length}/${v.base.controls.length}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const h = v.history;
    const steps = h.map((e) => e.step);
    // Validation loss at the step it was measured, on the same x as training loss.
    const valAt = new Map<number, number>();
    for (const e of v.base.evals) if (e.split === 'val') valAt.set(e.step, e.valLoss);
    const valSeries = steps.map((s) => valAt.get(s) ?? null);
    set(this.loss, [steps, h.map((e) => e.loss), valSeries] as Data);
    this.markers = v.base.controls
      .filter((c) => c.action === 'lr' || c.action === 'optimizer' || c.action === 'batchSize' || c.action === 'pause')
      .map((c) => ({ step: c.step, label: c.action === 'pause' ? 'pause' : `${c.action === 'batchSize' ? 'batch' : c.action} ${fmtValue(c.to)}` }));

    const vals = v.base.evals.filter((e) => e.split === 'val');
    set(this.epochs, [vals.map((e) => e.epoch + 1), vals.map((e) => e.valLoss), vals.map((e) => e.valAccuracy)] as Data);

    const rate = h.map((e) => (e.ms + e.updateMs > 0 ? (1000 * e.samples) / (e.ms + e.updateMs) : 0));
    const avg: number[] = [];
    let acc = 0;
    rate.forEach((r, i) => {
      acc += r - (i >= 20 ? rate[i - 20]! : 0);
      avg.push(acc / Math.min(i + 1, 20));
    });
    set(this.throughput, [steps, rate, avg] as Data);

    const b = v.breakdown;
    this.raw[0] = b.map((e) => e.computeMs);
    this.raw[1] = b.map((e) => e.transferMs);
    this.raw[2] = b.map((e) => e.waitMs);
    this.raw[3] = b.map((e) => e.updateMs);
    const c1 = this.raw[0];
    const c2 = c1.map((x, i) => x + this.raw[1]![i]!);
    const c3 = c2.map((x, i) => x + this.raw[2]![i]!);
    const c4 = c3.map((x, i) => x + this.raw[3]![i]!);
    this.totals = c4;
    set(this.breakdown, [b.map((e) => e.step), c4, c3, c2, c1] as Data);
  }

  private all(): Chart[] {
    return [this.loss, this.epochs, this.throughput, this.breakdown];
  }

  private resize(): void {
    for (const c of this.all()) {
      const w = Math.max(200, c.el.clientWidth);
      if (Math.abs(w - c.plot.width) > 2) c.plot.setSize({ width: w, height: chartHeight(c.el) });
    }
  }

  private drawMarkers(u: uPlot): void {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = '#111827';
    ctx.fillStyle = '#111827';
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    let row = 0;
    for (const m of this.markers) {
      const x = Math.round(u.valToPos(m.step + 0.5, 'x', true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(m.label, x + 4 * devicePixelRatio, top + (14 + 14 * (row++ % 3)) * devicePixelRatio);
    }
    ctx.restore();
  }
}

function chartHeight(el: HTMLElement): number {
  return Number(el.dataset.height ?? 220);
}

function make(el: HTMLElement, opts: Omit<uPlot.Options, 'width' | 'height'>): Chart {
  const plot = new uPlot(
    {
      width: Math.max(200, el.clientWidth),
      height: chartHeight(el),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      ...opts,
      scales: { x: { time: false }, ...opts.scales },
    } as uPlot.Options,
    [[]] as unknown as Data,
    el,
  );
  return { el, plot };
}

function set(c: Chart, data: Data): void {
  c.plot.setData(data);
  const n = data[0].length;
  c.el.dataset.points = String(n);
  // The legend shows the latest values unless the pointer is over the chart.
  if (n > 0 && (c.plot.cursor.left ?? -1) < 0) c.plot.setLegend({ idx: n - 1 });
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function fmtValue(v: string | number | undefined): string {
  return typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v ?? '');
}
