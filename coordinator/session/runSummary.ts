/**
 * One run of a session as the history panel and the comparison view show
 * it: what was asked (the settings a teacher varies), what it reached, and
 * its curves, thinned to at most a few hundred points. Built from a report
 * (finished runs, reports on disk) or from a live run's history.
 */
export interface RunSummary {
  /** 1, 2, 3... in the order the session ran them. */
  n: number;
  runId: string;
  label: string;
  settings: Record<string, unknown>;
  /** 'waiting': the run under way has not taken a step yet (waiting for peers). */
  state: 'waiting' | 'running' | 'done';
  exitReason: string | null;
  steps: number;
  wallSeconds: number;
  samplesPerSec: number;
  testAccuracy: number | null;
  testLoss: number | null;
  /** [step, seconds since start, training loss]. */
  loss: [number, number, number][];
  /** [epoch (from 1), seconds since start, validation accuracy]. */
  valAccuracy: [number, number, number | null][];
  /** A session's downloads for this run: its report (finished or interrupted) and its exported model (model.json + weights.bin). */
  files?: { report: boolean; model: boolean };
}

/** The settings a class compares runs by. */
export const COMPARED = ['dataset', 'model', 'hidden', 'optimizer', 'lr', 'batchSize', 'mode', 'epochs', 'compress', 'weightsCodec', 'peers'] as const;

interface HistoryLike {
  step: number;
  t: number;
  loss: number;
}
interface EvalLike {
  epoch: number;
  step: number;
  split: string;
  pass?: string;
  valAccuracy: number | null;
}
export interface ReportLike {
  runId: string;
  config: Record<string, unknown>;
  steps: number;
  wallSeconds: number;
  samplesPerSec: number;
  history: HistoryLike[];
  evals: EvalLike[];
  final: { testAccuracy: number | null; testLoss: number | null };
  exitReason: string | null;
}

const MAX_POINTS = 400;

export function summarize(n: number, r: ReportLike, state: RunSummary['state'] = 'done'): RunSummary {
  const settings: Record<string, unknown> = {};
  for (const k of COMPARED) if (r.config[k] !== undefined) settings[k] = r.config[k];
  const every = Math.max(1, Math.ceil(r.history.length / MAX_POINTS));
  const loss = r.history.filter((_h, i) => i % every === 0 || i === r.history.length - 1).map((h): [number, number, number] => [h.step, round(h.t, 2), round(h.loss, 5)]);
  const tAt = new Map(r.history.map((h) => [h.step, h.t]));
  const valAccuracy = r.evals
    .filter((e) => e.split === 'val' && (e.pass ?? 'epoch') === 'epoch')
    .map((e): [number, number, number | null] => [e.epoch + 1, round(tAt.get(e.step) ?? 0, 2), e.valAccuracy]);
  return {
    n,
    runId: r.runId,
    label: label(n, r.config),
    settings,
    state,
    exitReason: r.exitReason,
    steps: r.steps,
    wallSeconds: round(r.wallSeconds, 1),
    samplesPerSec: Math.round(r.samplesPerSec),
    testAccuracy: r.final.testAccuracy,
    testLoss: r.final.testLoss,
    loss,
    valAccuracy,
  };
}

/** "#2 spiral mlp adam lr 0.01 batch 64 sync". */
export function label(n: number, c: Record<string, unknown>): string {
  const lr = c.lr === undefined ? '' : ` lr ${String(c.lr)}`;
  return `#${n} ${String(c.dataset)} ${String(c.model)}${Array.isArray(c.hidden) ? ` ${c.hidden.join(',')}` : ''} ${String(c.optimizer)}${lr} batch ${String(c.batchSize)} ${String(c.mode)}`;
}

/** The run's history as CSV: one row per step. */
export function historyCsv(r: { history: (HistoryLike & Record<string, unknown>)[]; evals: EvalLike[] }): string {
  const cols = ['step', 'epoch', 't', 'loss', 'lr', 'peers', 'samples', 'ms', 'computeMs', 'updateMs'] as const;
  const val = new Map(r.evals.filter((e) => e.split === 'val').map((e) => [e.step, e]));
  const lines = [[...cols, 'val_accuracy'].join(',')];
  for (const h of r.history) {
    const row = cols.map((c) => (c === 'epoch' ? Number(h.epoch ?? 0) + 1 : (h[c] ?? '')));
    const v = val.get(h.step);
    lines.push([...row, v?.valAccuracy ?? ''].join(','));
  }
  return lines.join('\n') + '\n';
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
