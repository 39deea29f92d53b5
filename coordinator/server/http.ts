import express, { type Express, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DIST, ROOT } from './bundle';

/**
 * The HTTP side: the volunteer page (join URL), the dashboard, the browser
 * bundles, the tfjs wasm binaries and the dataset file, which is immutable
 * and addressed by its hash so tabs download it once.
 */
export interface HttpOptions {
  datasetHash: string;
  datasetBytes: Uint8Array;
  adminToken: string;
  status: () => unknown;
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
    if (req.query.admin !== o.adminToken) {
      res.status(403).json({ code: 'BAD_TOKEN', message: 'the dashboard needs its admin token: open the dashboard link the coordinator printed' });
      return;
    }
    res.json(o.status());
  });
  return app;
}
