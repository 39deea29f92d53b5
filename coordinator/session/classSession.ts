import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Config } from '../../shared/config/schema';
import type { TrainingCoordinator } from '../run/coordinator';
import { summarize, type ReportLike, type RunSummary } from './runSummary';

/**
 * `tabtrain serve` as a class session: one join link (same port, same
 * tokens) for many runs. Every run of the session keeps its files in the
 * session folder (the folder of the first run's --report): run 1 where
 * --report (and --export, --checkpoint-dir) say, run N in run-N/
 * (report.json, model/, checkpoints/ when the first run checkpoints). The
 * index, session.json, lists each run as soon as it starts; the report is
 * rewritten every few seconds while it trains, so a restarted `serve` with
 * the same --report (or --report pointing at the folder) shows every run
 * again, and `--resume` continues the last one where it was interrupted,
 * with that run's own settings and checkpoints.
 *
 * Integration: runTraining calls attachSessionRoutes (sessionRoutes.ts) for
 * every coordinator it starts, `started(n, run, files)`, `finished(n, report)` after writing a
 * report, and awaits `nextRun()` where a one-run `serve` used to wait for Ctrl-C.
 */
export interface SessionIndex {
  /** Paths relative to the session folder; `model` is the exported model's folder. */
  runs: { n: number; report: string; model?: string }[];
}

/** Where one run keeps its files (absolute paths). */
export interface RunFiles {
  report: string;
  model: string | null;
}

/** The settings the setup form may change; everything else comes from the command line. */
export const FORM_KEYS = ['dataset', 'model', 'hidden', 'optimizer', 'lr', 'batchSize', 'mode', 'epochs', 'compress', 'weightsCodec', 'samples', 'noise'] as const;

/** Settings that belong to the first run only (its files, its resume); later runs get their own under run-N/. */
const FIRST_RUN_ONLY = ['report', 'export', 'initFrom', 'checkpointDir', 'checkpointEvery', 'resume', 'exitWhenDone'] as const;

export class ClassSession {
  readonly dir: string;
  /** Every run this session knows of: its files, and its report once one was written (finished, or a snapshot). */
  readonly runs = new Map<number, { files: RunFiles; report: ReportLike | null; summary: RunSummary | null }>();
  current: { n: number; run: TrainingCoordinator; started: number } | null = null;
  waiting: ((c: Config | null) => void) | null = null;
  /** When the teacher asked for the run under way (ms, performance.now), for the "new run to first step" figure. */
  requestedAt: number | null = null;

  constructor(
    readonly base: Config,
    /** Validates form input exactly as the command line does (parseConfig, messages in plain words). */
    readonly validate: (input: Record<string, unknown>) => Config,
    readonly log: (l: string) => void,
  ) {
    this.dir = dirname(resolve(base.report ?? join('runs', 'session', 'report.json')));
    this.load();
  }

  get nextNumber(): number {
    return Math.max(0, ...this.runs.keys(), this.current?.n ?? 0) + 1;
  }

  /**
   * `--resume` continues the session's last run when a signal or a crash
   * interrupted it (its report says interrupted, or is a snapshot of a run
   * that never finished): the same number, the same files, and that run's
   * own settings (run 1: the command line's).
   */
  resumable(): { n: number; config: Config } | null {
    const last = Math.max(0, ...this.runs.keys());
    const r = this.runs.get(last);
    if (!r?.report || r.report.exitReason !== 'interrupted') return null;
    const config = last === 1 ? { ...this.base } : this.validate({ ...this.nextBase(), ...pick(r.report.config, FORM_KEYS) });
    this.place(config, last);
    config.resume = true;
    return { n: last, config };
  }

  /**
   * Puts run n's files in the session folder: run 1 where the command line
   * says, run N in run-N/. A run checkpoints when the first run does
   * (--checkpoint-dir), in its own folder.
   */
  place(config: Config, n: number): RunFiles {
    if (n === 1) {
      config.report ??= join(this.dir, 'report.json');
      config.export ??= join(dirname(resolve(config.report)), 'model');
    } else {
      const d = join(this.dir, `run-${n}`);
      config.report = join(d, 'report.json');
      config.export = join(d, 'model');
      if (this.base.checkpointDir) {
        config.checkpointDir = join(d, 'checkpoints');
        config.checkpointEvery = this.base.checkpointEvery;
      } else delete config.checkpointDir;
    }
    return { report: resolve(config.report), model: resolve(config.export) };
  }

  started(n: number, run: TrainingCoordinator, files: RunFiles): void {
    this.current = { n, run, started: performance.now() };
    const had = this.runs.get(n);
    this.runs.set(n, { files, report: had?.report ?? null, summary: had?.summary ?? null });
    this.writeIndex();
  }

  finished(n: number, report: Record<string, unknown>): void {
    const r = report as unknown as ReportLike;
    const files = this.runs.get(n)?.files ?? { report: join(this.dir, `run-${n}`, 'report.json'), model: null };
    this.runs.set(n, { files, report: r, summary: summarize(n, r) });
    if (this.current?.n === n) this.current = null;
    this.writeIndex();
  }

  /** Resolves with the next run's config when the dashboard asks for one, or null on Ctrl-C. */
  nextRun(): Promise<Config | null> {
    return new Promise((resolve) => {
      const onSignal = (): void => {
        this.waiting = null;
        resolve(null);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      this.waiting = (c) => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        this.waiting = null;
        resolve(c);
      };
    });
  }

  summaries(): RunSummary[] {
    const out: RunSummary[] = [];
    for (const [n, r] of this.runs) {
      if (this.current?.n === n) continue;
      if (r.summary) out.push({ ...r.summary, files: { report: true, model: r.files.model !== null && existsSync(join(r.files.model, 'weights.bin')) } });
    }
    const cur = this.current;
    if (cur) {
      const run = cur.run;
      const live: ReportLike = {
        runId: run.setup.runId,
        config: run.setup.config as unknown as Record<string, unknown>,
        steps: run.step,
        wallSeconds: (performance.now() - cur.started) / 1000,
        samplesPerSec: run.samplesPerSec(),
        history: run.history,
        evals: run.evaluator.evals,
        final: run.evaluator.final,
        exitReason: run.exitReason,
      };
      out.push({ ...summarize(cur.n, live, run.state === 'waiting' ? 'waiting' : 'running'), files: { report: false, model: false } });
    }
    return out.sort((a, b) => a.n - b.n);
  }

  /** The command line's settings for a new run, without what belongs to the first run only. */
  nextBase(): Record<string, unknown> {
    const b: Record<string, unknown> = { ...this.base };
    for (const k of FIRST_RUN_ONLY) delete b[k];
    return b;
  }

  private writeIndex(): void {
    mkdirSync(this.dir, { recursive: true });
    const rel = (p: string): string => relative(this.dir, p);
    const index: SessionIndex = {
      runs: [...this.runs.entries()].sort((a, b) => a[0] - b[0]).map(([n, r]) => ({ n, report: rel(r.files.report), ...(r.files.model ? { model: rel(r.files.model) } : {}) })),
    };
    writeFileSync(join(this.dir, 'session.json'), JSON.stringify(index, null, 2));
  }

  /** A restarted `serve` with the same --report folder shows the earlier runs. */
  private load(): void {
    const file = join(this.dir, 'session.json');
    if (!existsSync(file)) return;
    try {
      const index = JSON.parse(readFileSync(file, 'utf8')) as SessionIndex;
      for (const e of index.runs) {
        const files: RunFiles = { report: resolve(this.dir, e.report), model: e.model ? resolve(this.dir, e.model) : null };
        if (!existsSync(files.report)) continue;
        const report = JSON.parse(readFileSync(files.report, 'utf8')) as ReportLike;
        // A snapshot of a run that never finished: its process ended (a crash, a kill) mid-run.
        if (report.exitReason === null || report.exitReason === undefined) report.exitReason = 'interrupted';
        this.runs.set(e.n, { files, report, summary: summarize(e.n, report) });
      }
      this.log(`session: ${this.runs.size} earlier run${this.runs.size === 1 ? '' : 's'} from ${file}`);
    } catch (e) {
      this.log(`session: could not read ${file} (${e instanceof Error ? e.message : String(e)}); starting a new history`);
    }
  }
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
