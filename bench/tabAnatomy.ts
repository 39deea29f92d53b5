import { build, type BuildOptions } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from '../coordinator/server/bundle';
import type { BaselineOptions, BaselineResult } from './browser/baseline';
import type { TabStepOptions, TabStepResult } from './browser/tabStep';

/**
 * Runs the in-tab step anatomy (browser/tabStep.ts) and the plain-tfjs
 * baseline (browser/baseline.ts) in one page, either in the page itself or
 * in a Web Worker, as a tabtrain tab computes.
 */
const OUT = join(ROOT, 'dist', 'bench');
const BUNDLE_OPTS: BuildOptions = { bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, logLevel: 'error', external: ['worker_threads', 'fs', 'path', 'crypto', 'os'], define: { 'process.env.NODE_ENV': '"production"' } };

export async function buildBrowserScripts(): Promise<void> {
  await build({ ...BUNDLE_OPTS, entryPoints: [join(ROOT, 'bench', 'browser', 'baseline.ts')], outfile: join(OUT, 'baseline.js') });
  await build({ ...BUNDLE_OPTS, entryPoints: [join(ROOT, 'bench', 'browser', 'tabStep.ts')], outfile: join(OUT, 'tabStep.js') });
}

/** Runs `script`'s exported function `fn` with `opts` in the page, or in a Web Worker made from the script. */
export async function inBrowser<O, R>(page: Page, script: 'baseline' | 'tabStep', fn: string, opts: O, where: 'page' | 'worker'): Promise<R> {
  const src = readFileSync(join(OUT, `${script}.js`), 'utf8');
  if (where === 'page') {
    await page.addScriptTag({ content: src });
    return page.evaluate(([f, o]) => (globalThis as unknown as Record<string, (x: unknown) => Promise<unknown>>)[f as string]!(o), [fn, opts] as const) as Promise<R>;
  }
  return page.evaluate(
    ([s, o]) =>
      new Promise<unknown>((resolve, reject) => {
        const w = new Worker(URL.createObjectURL(new Blob([s as string], { type: 'text/javascript' })));
        w.onmessage = (e: MessageEvent<{ error?: string }>) => {
          w.terminate();
          if (e.data.error) reject(new Error(e.data.error));
          else resolve(e.data);
        };
        w.onerror = (e) => reject(new Error(e.message));
        w.postMessage(o);
      }),
    [src, opts] as const,
  ) as Promise<R>;
}

export type { BaselineOptions, BaselineResult, TabStepOptions, TabStepResult };
