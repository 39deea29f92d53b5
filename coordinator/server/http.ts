import express, { type Express, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail, isTabtrainError, type TabtrainError } from '../../shared/errors';
import type { ControlEntry } from '../../shared/protocol/dashboardControl';
import { tokenMatches } from './admission';
import { DIST, ROOT } from './bundle';

/**
 * The HTTP side: the volunteer page (join URL), the dashboard, the browser
 * bundles, the tfjs wasm binaries and the dataset file, which is immutable
 * and addressed by its hash so tabs download it once; the dashboard's status
 * and its controls, both behind the admin token.
 */
export interface HttpOptions {
  datasetHash: string;
  datasetBytes: Uint8Array;
  adminToken: string;
  status: () => unknown;
  /** Applies a dashboard control (already authorised); throws a TabtrainError (CONTROL_INVALID, CONTROL_REFUSED). */
  control: (body: unknown) => ControlEntry;
}

const require = createRequire(import.meta.url);

export function createApp(o: HttpOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  const pages = join(ROOT, 'client', 'pages');
  app.get('/', (_req: Request, res: Response) => res.sendFile(join(pages, 'volunteer.html')));
  app.get('/dashboard', (_req: Request, res: Response) => res.sendFile(join(pages, 'dashboard.html')));
  app.use('/assets', express.static(DIST, { maxAge: 0 }));
  app.use('/static', express.static(join(pages, 'static'), { maxAge: '1h' }));
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  app.use('/wasm', express.static(wasmDir, { maxAge: '1d' }));
  app.get('/data/:hash', (req: Request, res: Response) => {
    if (req.params.hash !== o.datasetHash) {
      res.status(404).type('text/plain').send('unknown dataset: it may belong to an earlier run; reload the page');
      return;
    }
    res.set('Cache-Control', 'public, max-age=31536000, immutable');
    res.type('application/octet-stream').send(Buffer.from(o.datasetBytes.buffer, o.datasetBytes.byteOffset, o.datasetBytes.byteLength));
  });
  app.get('/api/status', (req: Request, res: Response) => {
    if (!tokenMatches(req.query.admin, o.adminToken)) {
      res.status(403).json({ code: 'BAD_TOKEN', message: 'the dashboard needs its admin token: open the dashboard link the coordinator printed' });
      return;
    }
    res.json(o.status());
  });
  // Controls: POST {"action": "pause"} or {"action": "lr", "value": 0.01}, with the admin
  // token in an `x-admin-token` header or `?admin=`. Refusals carry a stable code.
  const refuse = (res: Response, e: TabtrainError): void => void res.status(e.httpStatus).json(e.toJSON());
  const authorised = (req: Request, res: Response, next: () => void): void => {
    if (tokenMatches(req.get('x-admin-token') ?? req.query.admin, o.adminToken)) return next();
    refuse(res, fail('BAD_TOKEN', 'controls need the admin token: use the dashboard link the coordinator printed'));
  };
  app.post('/api/control', authorised, express.json({ limit: '4kb', strict: false }), (req: Request, res: Response) => {
    try {
      res.json({ ok: true, control: o.control(req.body) });
    } catch (e) {
      if (!isTabtrainError(e) || e.httpStatus >= 500) throw e;
      refuse(res, e);
    }
  });
  // A body that is not JSON: say so in the same shape.
  app.use('/api/control', (err: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    if (!err) return next();
    refuse(res, fail('CONTROL_INVALID', `the body must be JSON: ${err instanceof Error ? err.message : String(err)}`));
  });
  return app;
}
