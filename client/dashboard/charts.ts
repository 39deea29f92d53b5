import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RunView } from './feed';

/**
 * The live charts, drawn with uPlot: the loss (training loss per step, the
 * validation loss at each epoch's end, a dashed marker at every pause, resume
 * and control change), the validation accuracy per epoch in percent (its own
 * chart: loss and accuracy have different units), throughput, and where each
 * step's time went. Every axis has a title with its unit, y axes size
 * themselves to their longest label, and an empty chart says what will
 * appear. Each container carries `data-points` (the number of x values) so
 * people and tests can see the data grow.
 */
type Data = uPlot.AlignedData;

/** Whole steps and epochs only on the x axes. */
const STEP_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

const COLORS = { loss: '#2563eb', val: '#dc2626', acc: '#059669', thr: '#7c3aed', thrAvg: '#f59e0b', compute: '#2563eb', transfer: '#38bdf8', wait: '#f59e0b', update: '#a855f7' };

interface Chart {
  el: HTMLElement;
  plot: uPlot;
}

export interface ChartRoots {
  loss: HTMLElement;
  acc: HTMLElement;
  throughput: HTMLElement;
  breakdown: HTMLElement;
}

/** A y axis as wide as its longest tick label (so "10,000" is never cut to "0,000") plus its title. */
function fitAxis(label: string, font: string, labelFont: string, side: 1 | 3 = 3): uPlot.Axis {
  return {
    label,
    side,
    font,
    labelFont,
    labelSize: Number(/(\d+)px/.exec(labelFont)?.[1] ?? 12) + 10,
    size: (u: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number => {
      const axis = u.axes[axisIdx]!;
      if (cycleNum > 1) return (axis as { _size?: number })._size ?? 50;
      const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), '');
      u.ctx.font = font.replace(/(\d+)px/, (_m, px: string) => `${Number(px) * devicePixelRatio}px`);
      return Math.ceil(u.ctx.measureText(longest).width / devicePixelRatio) + 16;
    },
  };
}

export class Charts {
  private readonly loss: Chart;
  private readonly acc: Chart;
  private readonly throughput: Chart;
  private readonly breakdown: Chart;
  private markers: { step: number; label: string }[] = [];
  private readonly raw: number[][] = [[], [], [], []];
  private totals: number[] = [];
  private readonly fontPx: number;

  constructor(root: ChartRoots, o: { projector?: boolean } = {}) {
    this.fontPx = o.projector ? 17 : 12;
    const font = `${this.fontPx}px system-ui, sans-serif`;
    const labelFont = `600 ${this.fontPx + 1}px system-ui, sans-serif`;
    const xAxis = (label: string): uPlot.Axis => ({ label, incrs: STEP_INCRS, font, labelFont, labelSize: this.fontPx + 12 });
    const fmt = (d: number) => (_u: uPlot, v: number | null): string => (v === null || v === undefined ? '-' : v.toFixed(d));
    const height = o.projector ? 340 : 220;
    for (const el of [root.loss, root.acc, root.throughput, root.breakdown]) el.dataset.height = String(height);
    this.loss = make(root.loss, {
      series: [
        { label: 'step' },
        { label: 'train loss', stroke: COLORS.loss, width: 1.5, value: fmt(4) },
        { label: 'val loss', stroke: COLORS.val, width: 2, spanGaps: true, points: { show: true, size: 6, fill: COLORS.val }, value: fmt(4) },
      ],
      axes: [xAxis('training step'), fitAxis('loss (lower is better)', font, labelFont)],
      hooks: { draw: [(u: uPlot) => this.drawMarkers(u)] },
    });
    this.acc = make(root.acc, {
      series: [{ label: 'epoch' }, { label: 'val accuracy', stroke: COLORS.acc, width: 2.5, points: { show: true, size: 8, fill: COLORS.acc }, value: (_u, v) => (v == null ? '-' : `${(100 * v).toFixed(1)}%`) }],
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [xAxis('epoch'), { ...fitAxis('validation accuracy (%)', font, labelFont), values: (_u, vs) => vs.map((v) => `${Math.round(100 * v)}%`) }],
    });
    this.throughput = make(root.throughput, {
      series: [
        { label: 'step' },
        { label: 'samples/s', stroke: COLORS.thr, width: 1, value: fmt(0) },
        { label: 'average (20 steps)', stroke: COLORS.thrAvg, width: 2, value: fmt(0) },
      ],
      axes: [xAxis('training step'), { ...fitAxis('samples per second', font, labelFont), values: (_u, vs) => vs.map((v) => v.toLocaleString('en')) }],
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
      axes: [xAxis('training step'), fitAxis('time per step (ms)', font, labelFont)],
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
      .filter((c) => c.action === 'lr' || c.action === 'optimizer' || c.action === 'batchSize' || c.action === 'pause' || c.action === 'resume')
      .map((c) => ({ step: c.step, label: c.action === 'pause' || c.action === 'resume' ? c.action : `${c.action === 'batchSize' ? 'batch' : c.action} ${fmtValue(c.to)}` }));

    const vals = v.base.evals.filter((e) => e.split === 'val' && e.valAccuracy !== null);
    set(this.acc, [vals.map((e) => e.epoch + 1), vals.map((e) => e.valAccuracy)] as Data);
    const accEmpty = this.acc.el.querySelector<HTMLElement>('.empty');
    if (accEmpty && v.base.dataset.task === 'regression') accEmpty.textContent = 'A regression has no accuracy: watch the loss (mean squared error) instead.';

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
    return [this.loss, this.acc, this.throughput, this.breakdown];
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
    const px = this.fontPx * devicePixelRatio;
    ctx.font = `${px}px system-ui, sans-serif`;
    // Labels never overlap: each goes on the first row whose previous label ends left of it; with no room, none.
    const rowEnds: number[] = [];
    const right = u.bbox.left + u.bbox.width;
    for (const m of this.markers) {
      const x = Math.round(u.valToPos(m.step + 0.5, 'x', true));
      if (x < u.bbox.left || x > right) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      const w = ctx.measureText(m.label).width;
      // Near the right edge the label goes to the left of its line.
      const lx = x + 4 * devicePixelRatio + w > right ? x - 4 * devicePixelRatio - w : x + 4 * devicePixelRatio;
      let row = rowEnds.findIndex((end) => end < lx);
      if (row < 0 && rowEnds.length < 4) row = rowEnds.length;
      if (row < 0) continue;
      rowEnds[row] = lx + w + 6 * devicePixelRatio;
      ctx.fillStyle = '#ffffffd0';
      ctx.fillRect(lx - 2, top + row * px * 1.3 + 2, w + 4, px * 1.2);
      ctx.fillStyle = '#111827';
      ctx.fillText(m.label, lx, top + row * px * 1.3 + px);
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
  const empty = c.el.querySelector<HTMLElement>('.empty');
  if (empty) empty.hidden = n > 0;
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
