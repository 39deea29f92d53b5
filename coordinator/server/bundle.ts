import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The browser bundles (volunteer page, dashboard) are built from client/ and
 * shared/ with esbuild on first use, and again whenever a source is newer
 * than the bundle, so `npm start` on a fresh clone needs no separate step.
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = join(ROOT, 'dist', 'client');
// The worker computes a volunteer's gradients; the page loads tfjs (a shared chunk) only when it cannot use the worker.
const ENTRIES = { volunteer: 'client/volunteer/main.ts', worker: 'client/worker/peerWorker.ts', dashboard: 'client/dashboard/main.ts' } as const;

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

export async function ensureClientBundle(force = false): Promise<{ built: boolean; ms: number }> {
  const outputs = Object.keys(ENTRIES).map((k) => join(DIST, `${k}.js`));
  const sources = Math.max(newestMtime(join(ROOT, 'client')), newestMtime(join(ROOT, 'shared')));
  const fresh = outputs.every((o) => existsSync(o) && statSync(o).mtimeMs >= sources);
  if (fresh && !force) return { built: false, ms: 0 };
  const t0 = performance.now();
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(ROOT, v)])),
    outdir: DIST,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'error',
    // tfjs probes for Node modules it never needs in a browser.
    external: ['worker_threads', 'fs', 'path', 'crypto', 'os'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return { built: true, ms: performance.now() - t0 };
}
