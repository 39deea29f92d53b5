import { build } from 'esbuild';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchTabs, type TabFleet } from '../coordinator/peers/chromium';
import { ensureClientBundle, ROOT } from '../coordinator/server/bundle';
import type { ConfigInput } from '../shared/config/schema';
import type { BaselineOptions, BaselineResult } from './browser/baseline';
import { CoordinatorProbe, type StepCosts } from './probe';
import { startRun, within } from './run';
import type { HistoryEntry, EvalEntry } from '../coordinator/training/types';
import type { StepBreakdown } from '../coordinator/training/timeline';

/**
 * One headless Chromium for the tab items (1, 2, 6): each configuration gets a
 * fresh coordinator and fresh tabs (pages) in the same browser, closed after.
 */
export interface TabRun {
  tabs: number;
  history: HistoryEntry[];
  breakdown: StepBreakdown[];
  costs: Map<number, StepCosts>;
  evals: EvalEntry[];
  testAccuracy: number | null;
  valAccuracy: number | null;
  backends: string[];
  renderer: string;
  /** Seconds from the coordinator's start to training start (tabs joined and warmed up). */
  startSeconds: number;
}

const BASELINE_JS = join(ROOT, 'dist', 'bench', 'baseline.js');

export class TabBrowser {
  private constructor(private readonly fleet: TabFleet) {}

  static async launch(chromium: string, log: (l: string) => void): Promise<TabBrowser> {
    await ensureClientBundle();
    await build({ entryPoints: [join(ROOT, 'bench', 'browser', 'baseline.ts')], outfile: BASELINE_JS, bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, logLevel: 'error', external: ['worker_threads', 'fs', 'path', 'crypto', 'os'], define: { 'process.env.NODE_ENV': '"production"' } });
    return new TabBrowser(await launchTabs(chromium, [], log));
  }

  async run(config: ConfigInput, tabs: number, timeoutMs: number): Promise<TabRun> {
    const r = await startRun({ ...config, minPeers: tabs });
    const probe = new CoordinatorProbe(r.c.run);
    const pages: Page[] = [];
    try {
      for (let i = 0; i < tabs; i++) pages.push(await this.fleet.open(`${r.c.localJoinUrl}&name=tab-${i + 1}`));
      const reason = await within(r.c.done, timeoutMs, `${tabs}-tab run`);
      if (reason !== 'completed' && reason !== 'early-stopped') throw new Error(`${tabs}-tab run ended ${reason}: ${r.logs.slice(-3).join(' | ')}`);
      const run = r.c.run;
      const peers = [...run.peers.values()];
      return {
        tabs,
        history: run.history,
        breakdown: run.timeline.breakdown,
        costs: probe.steps,
        evals: run.evaluator.evals,
        testAccuracy: run.evaluator.final.testAccuracy,
        valAccuracy: run.evaluator.final.valAccuracy,
        backends: peers.map((p) => p.backend),
        renderer: peers[0]?.renderer ?? '',
        startSeconds: ((run.trainStartedAt ?? run.startedAt) - run.startedAt) / 1000,
      };
    } finally {
      for (const p of pages) await p.close().catch(() => undefined);
      this.fleet.pages.length = 0;
      await r.close();
    }
  }

  async baseline(o: BaselineOptions): Promise<BaselineResult> {
    const page = await this.fleet.context.newPage();
    try {
      await page.goto('about:blank');
      await page.addScriptTag({ path: BASELINE_JS });
      return await page.evaluate((opts) => (globalThis as unknown as { tabtrainBaseline: (x: BaselineOptions) => Promise<BaselineResult> }).tabtrainBaseline(opts), o);
    } finally {
      await page.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.fleet.close();
  }
}

/** Samples/s over the steady steps (the first `skip` left out): samples over wall time between step ends. */
export function steadySamplesPerSec(h: readonly HistoryEntry[], skip: number): number {
  if (h.length < skip + 2) return NaN;
  const first = h[skip]!;
  const last = h.at(-1)!;
  const samples = h.slice(skip + 1).reduce((a, x) => a + x.samples, 0);
  return samples / (last.t - first.t);
}
