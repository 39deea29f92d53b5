import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Config } from '../../shared/config/schema';
import { fail } from '../../shared/errors';
import { DIST, ROOT, ensureClientBundle } from '../server/bundle';
import { historyCsv, summarize, type ReportLike } from '../session/runSummary';

/**
 * `tabtrain report FILE...`: past reports in the dashboard's comparison view
 * (history, overlay, figures, CSV), without a live run. Serves until Ctrl-C.
 */
export async function openReports(files: string[], config: Config): Promise<number> {
  const reports = files.map((f, i) => {
    if (!existsSync(f)) throw fail('CONFIG_INVALID', `report: no file ${f}`);
    let r: ReportLike;
    try {
      r = JSON.parse(readFileSync(f, 'utf8')) as ReportLike;
    } catch (e) {
      throw fail('CONFIG_INVALID', `report: ${f} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!Array.isArray(r.history) || !r.config) throw fail('CONFIG_INVALID', `report: ${f} is not a tabtrain report (no history or config)`);
    return { file: f, report: r, summary: { ...summarize(i + 1, r), label: `${summarize(i + 1, r).label} (${basename(dirname(f))})` } };
  });
  await ensureClientBundle();
  const admin = randomBytes(12).toString('hex');
  const app = express();
  app.disable('x-powered-by');
  app.get('/dashboard', (_req: Request, res: Response) => res.sendFile(join(ROOT, 'client', 'pages', 'dashboard.html')));
  app.use('/assets', express.static(DIST, { maxAge: 0 }));
  const authorised = (req: Request, res: Response): boolean => {
    if ((req.query as Record<string, unknown>).admin === admin) return true;
    res.status(403).json({ ok: false, code: 'BAD_TOKEN', message: 'use the link tabtrain report printed' });
    return false;
  };
  app.get('/api/session', (req, res) => authorised(req, res) && void res.json({ accepting: false, live: false, runs: reports.map((r) => r.summary) }));
  app.get('/api/session/runs/:n/csv', (req, res) => {
    if (!authorised(req, res)) return;
    const r = reports[Number(req.params.n) - 1];
    if (!r) return void res.status(404).json({ ok: false, code: 'NO_SUCH_RUN', message: `no report #${String(req.params.n)}` });
    res.type('text/csv').attachment(`tabtrain-run-${String(req.params.n)}.csv`).send(historyCsv(r.report as unknown as Parameters<typeof historyCsv>[0]));
  });
  app.get('/api/session/runs/:n/report', (req, res) => {
    if (!authorised(req, res)) return;
    const r = reports[Number(req.params.n) - 1];
    if (!r) return void res.status(404).json({ ok: false, code: 'NO_SUCH_RUN', message: `no report #${String(req.params.n)}` });
    res.attachment(basename(r.file)).json(r.report);
  });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  console.log(`${reports.length} report${reports.length === 1 ? '' : 's'}: ${reports.map((r) => r.summary.label).join('; ')}`);
  console.log(`comparison: http://${host}:${port}/dashboard?admin=${admin}&history=1`);
  console.log('Press Ctrl-C to quit.');
  await new Promise<void>((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
  server.closeAllConnections();
  server.close();
  return 0;
}
