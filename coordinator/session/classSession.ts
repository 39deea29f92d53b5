import express, { type Express, type Request, type Response } from 'express';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Config } from '../../shared/config/schema';
import { isTabtrainError } from '../../shared/errors';
import type { TrainingCoordinator } from '../run/coordinator';
import { historyCsv, summarize, type ReportLike, type RunSummary } from './runSummary';

/**
 * `tabtrain serve` as a class session: one join link (same port, same
 * tokens) for many runs. Each finished run's report lands in the session
 * folder (the first run's --report directory) and in its index,
 * session.json, so a restarted `serve` with the same --report shows the
 * history again. The dashboard's setup form posts the next run's settings;
 * they are validated by the same schema as the command line, and the CLI
 * loop (runTraining) starts the run; the tabs reconnect to it by themselves.
 *
 * Integration: runTraining calls `attach(app, run)` for every coordinator it
 * starts, `finished(run, report, path)` after writing a report, and awaits
 * `nextRun()` where a one-run `serve` used to wait for Ctrl-C.
 */
export interface SessionIndex {
  runs: { n: number; report: string }[];
}

/** The settings the setup form may change; everything else comes from the command line. */
export const FORM_KEYS = ['dataset', 'model', 'hidden', 'optimizer', 'lr', 'batchSize', 'mode', 'epochs', 'compress', 'weightsCodec', 'samples', 'noise'] as const;

export class ClassSession {
  readonly dir: string;
  private readonly reports = new Map<number, { path: string; report: ReportLike; summary: RunSummary }>();
  private current: { n: number; run: TrainingCoordinator; started: number } | null = null;
  private waiting: ((c: Config | null) => void) | null = null;
  /** When the teacher asked for the run under way (ms, performance.now), for the "new run to first step" figure. */
  requestedAt: number | null = null;

  constructor(
    private readonly base: Config,
    /** Validates form input exactly as the command line does (parseConfig, messages in plain words). */
    private readonly validate: (input: Record<string, unknown>) => Config,
    private readonly log: (l: string) => void,
  ) {
    this.dir = dirname(resolve(base.report ?? join('runs', 'session', 'report.json')));
    this.load();
  }

  get nextNumber(): number {
    return Math.max(0, ...this.reports.keys(), this.current?.n ?? 0) + 1;
  }

  /**
   * `--resume` continues the session's last run when a signal or a crash
   * interrupted it: the same number and the same report file, so the report
   * of the finished run replaces the interrupted one.
   */
  resumable(): { n: number; path: string } | null {
    const last = Math.max(0, ...this.reports.keys());
    const r = this.reports.get(last);
    return r && r.report.exitReason === 'interrupted' ? { n: last, path: r.path } : null;
  }

  /** Whether a run of this session already wrote its report at `path`. */
  holds(path: string | undefined): boolean {
    if (!path) return false;
    const p = resolve(path);
    return [...this.reports.values()].some((r) => resolve(r.path) === p);
  }

  /** Where run n's report goes: the first run's as given by --report, later ones in run-N/ beside it. */
  reportPath(n: number, first: string | undefined): string {
    return n === 1 && first ? first : join(this.dir, `run-${n}`, 'report.json');
  }

  started(n: number, run: TrainingCoordinator): void {
    this.current = { n, run, started: performance.now() };
  }

  finished(n: number, report: Record<string, unknown>, path: string): void {
    const r = report as unknown as ReportLike;
    this.reports.set(n, { path, report: r, summary: summarize(n, r) });
    if (this.current?.n === n) this.current = null;
    mkdirSync(this.dir, { recursive: true });
    const index: SessionIndex = { runs: [...this.reports.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => ({ n: k, report: relative(this.dir, resolve(v.path)) })) };
    writeFileSync(join(this.dir, 'session.json'), JSON.stringify(index, null, 2));
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
    const done = [...this.reports.values()].map((r) => r.summary);
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
      done.push(summarize(cur.n, live, 'running'));
    }
    return done.sort((a, b) => a.n - b.n);
  }

  /** The session's routes on a coordinator's app (each run has its own app; the tokens stay). */
  attach(app: Express, run: TrainingCoordinator, adminToken: string): void {
    const admin = (req: Request, res: Response, next: () => void): void => {
      const t = (req.query as Record<string, unknown>).admin ?? req.get('x-admin-token');
      if (t !== adminToken) {
        res.status(403).json({ ok: false, code: 'BAD_TOKEN', message: 'the session needs the admin token: use the dashboard link the coordinator printed' });
        return;
      }
      next();
    };
    app.get('/api/session', admin, (_req, res) => {
      res.set('Cache-Control', 'no-store').json({ dir: this.dir, accepting: this.waiting !== null || run.state === 'waiting' || run.state === 'done', runs: this.summaries() });
    });
    app.get('/api/session/runs/:n/csv', admin, (req, res) => {
      const r = this.reportFor(Number(req.params.n), run);
      if (!r) return void res.status(404).json({ ok: false, code: 'NO_SUCH_RUN', message: `no run #${String(req.params.n)} in this session` });
      res.type('text/csv').attachment(`tabtrain-run-${String(req.params.n)}.csv`).send(historyCsv(r as Parameters<typeof historyCsv>[0]));
    });
    app.get('/api/session/runs/:n/report', admin, (req, res) => {
      const r = this.reports.get(Number(req.params.n));
      if (!r) return void res.status(404).json({ ok: false, code: 'NO_SUCH_RUN', message: `no finished run #${String(req.params.n)}` });
      res.attachment(`tabtrain-run-${String(req.params.n)}-report.json`).json(r.report);
    });
    app.post('/api/session/run', admin, express.json({ limit: '8kb' }), (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const unknown = Object.keys(body).filter((k) => !(FORM_KEYS as readonly string[]).includes(k));
      if (unknown.length) return void res.status(400).json({ ok: false, code: 'CONFIG_INVALID', message: `the setup form cannot set ${unknown.join(', ')}` });
      if (run.state !== 'done' && run.state !== 'waiting') {
        return void res.status(409).json({ ok: false, code: 'RUN_BUSY', message: `run #${this.current?.n ?? '?'} is ${run.state}: stop it first (Stop), then start the new run` });
      }
      let config: Config;
      try {
        config = this.validate({ ...this.nextBase(), ...body });
      } catch (e) {
        return void res.status(400).json({ ok: false, code: isTabtrainError(e) ? e.code : 'CONFIG_INVALID', message: e instanceof Error ? e.message : String(e) });
      }
      const n = this.nextNumber;
      this.requestedAt = performance.now();
      this.log(`session: run #${n} requested from the dashboard (${Object.entries(body).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')})`);
      res.status(202).json({ ok: true, n });
      // A run still waiting for peers (nothing trained) ends here; a finished one is already over.
      if (run.state === 'waiting') run.stop('stopped');
      const go = (): void => {
        if (this.waiting) this.waiting(config);
        else setTimeout(go, 50);
      };
      go();
    });
  }

  /** The command line's settings for a new run, without what belongs to the first run only. */
  private nextBase(): Record<string, unknown> {
    const b: Record<string, unknown> = { ...this.base };
    for (const k of ['report', 'export', 'initFrom', 'checkpointDir', 'checkpointEvery', 'resume', 'exitWhenDone']) delete b[k];
    return b;
  }

  private reportFor(n: number, run: TrainingCoordinator): { history: ReportLike['history']; evals: ReportLike['evals'] } | null {
    const r = this.reports.get(n);
    if (r) return r.report;
    if (this.current?.n === n) return { history: run.history, evals: run.evaluator.evals };
    return null;
  }

  /** A restarted `serve` with the same --report folder shows the earlier runs. */
  private load(): void {
    const file = join(this.dir, 'session.json');
    if (!existsSync(file)) return;
    try {
      const index = JSON.parse(readFileSync(file, 'utf8')) as SessionIndex;
      for (const e of index.runs) {
        const path = join(this.dir, e.report);
        if (!existsSync(path)) continue;
        const report = JSON.parse(readFileSync(path, 'utf8')) as ReportLike;
        this.reports.set(e.n, { path, report, summary: summarize(e.n, report) });
      }
      this.log(`session: ${this.reports.size} earlier run${this.reports.size === 1 ? '' : 's'} from ${file}`);
    } catch (e) {
      this.log(`session: could not read ${file} (${e instanceof Error ? e.message : String(e)}); starting a new history`);
    }
  }
}
