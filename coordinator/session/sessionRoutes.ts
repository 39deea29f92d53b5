import express, { type Express, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../shared/config/schema';
import { isTabtrainError } from '../../shared/errors';
import type { TrainingCoordinator } from '../run/coordinator';
import { FORM_KEYS, type ClassSession } from './classSession';
import { historyCsv } from './runSummary';

/**
 * The class session's HTTP routes, all under the admin token:
 *   GET  /api/session                          the history (every run's settings, result, curves)
 *   GET  /api/session/runs/N/csv               run N's history, one row per step
 *   GET  /api/session/runs/N/report            run N's JSON report (finished or interrupted runs)
 *   GET  /api/session/runs/N/model/model.json  run N's exported model (tfjs layers format),
 *   GET  /api/session/runs/N/model/weights.bin   with its weights beside it, as tf.loadLayersModel expects
 *   POST /api/session/run                      the setup form: start the next run
 */
const MODEL_FILES = ['model.json', 'weights.bin'] as const;

export function attachSessionRoutes(s: ClassSession, app: Express, run: TrainingCoordinator, adminToken: string): void {
  const admin = (req: Request, res: Response, next: () => void): void => {
    const t = (req.query as Record<string, unknown>).admin ?? req.get('x-admin-token');
    if (t !== adminToken) {
      res.status(403).json({ ok: false, code: 'BAD_TOKEN', message: 'the session needs the admin token: use the dashboard link the coordinator printed' });
      return;
    }
    next();
  };
  const noRun = (res: Response, what: string): void => void res.status(404).json({ ok: false, code: 'NO_SUCH_RUN', message: what });

  app.get('/api/session', admin, (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ dir: s.dir, accepting: s.waiting !== null || run.state === 'waiting' || run.state === 'done', runs: s.summaries() });
  });
  app.get('/api/session/runs/:n/csv', admin, (req, res) => {
    const n = Number(req.params.n);
    const done = s.runs.get(n)?.report;
    const r = s.current?.n === n ? { history: run.history, evals: run.evaluator.evals } : done;
    if (!r) return noRun(res, `no run #${String(req.params.n)} in this session`);
    res.type('text/csv').attachment(`tabtrain-run-${n}.csv`).send(historyCsv(r as unknown as Parameters<typeof historyCsv>[0]));
  });
  app.get('/api/session/runs/:n/report', admin, (req, res) => {
    const n = Number(req.params.n);
    const r = s.current?.n === n ? null : s.runs.get(n)?.report;
    if (!r) return noRun(res, `no finished run #${String(req.params.n)}: its report is written when it ends`);
    res.attachment(`tabtrain-run-${n}-report.json`).json(r);
  });
  app.get('/api/session/runs/:n/model/:file', admin, (req, res) => {
    const n = Number(req.params.n);
    const file = req.params.file as (typeof MODEL_FILES)[number];
    const dir = s.current?.n === n ? null : s.runs.get(n)?.files.model;
    if (!MODEL_FILES.includes(file)) return noRun(res, `a run's model is model.json and weights.bin, not ${file}`);
    if (!dir || !existsSync(join(dir, file))) return noRun(res, `run #${String(req.params.n)} has no exported model: it is written when the run ends`);
    // model.json keeps its name (tf.loadLayersModel finds weights.bin beside it); the download is named after the run.
    res.set('Content-Disposition', `attachment; filename="tabtrain-run-${n}-${file}"`);
    res.type(file === 'model.json' ? 'application/json' : 'application/octet-stream').sendFile(join(dir, file));
  });
  app.post('/api/session/run', admin, express.json({ limit: '8kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => !(FORM_KEYS as readonly string[]).includes(k));
    if (unknown.length) return void res.status(400).json({ ok: false, code: 'CONFIG_INVALID', message: `the setup form cannot set ${unknown.join(', ')}` });
    if (run.state !== 'done' && run.state !== 'waiting') {
      return void res.status(409).json({ ok: false, code: 'RUN_BUSY', message: `run #${s.current?.n ?? '?'} is ${run.state}: stop it first (Stop), then start the new run` });
    }
    let config: Config;
    try {
      config = s.validate({ ...s.nextBase(), ...body });
    } catch (e) {
      return void res.status(400).json({ ok: false, code: isTabtrainError(e) ? e.code : 'CONFIG_INVALID', message: e instanceof Error ? e.message : String(e) });
    }
    const n = s.nextNumber;
    s.requestedAt = performance.now();
    s.log(`session: run #${n} requested from the dashboard (${Object.entries(body).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')})`);
    res.status(202).json({ ok: true, n });
    // A run still waiting for peers (nothing trained) ends here; a finished one is already over.
    if (run.state === 'waiting') run.stop('stopped');
    const go = (): void => {
      if (s.waiting) s.waiting(config);
      else setTimeout(go, 50);
    };
    go();
  });
}
