import { build } from 'esbuild';
import { join } from 'node:path';
import { launchTabs, type TabFleet } from '../coordinator/peers/chromium';
import { ensureClientBundle, ROOT } from '../coordinator/server/bundle';
import type { ConfigInput } from '../shared/config/schema';
import type { BaselineOptions, BaselineResult } from './browser/baseline';
import { CoordinatorProbe, type StepCosts } from './probe';
import { startRun, within } from './run';
import type { HistoryEntry, EvalEntry } from '../coordinator/run/types';
import type { StepBreakdown } from '../coordinator/dashboard/timeline';

/**
 * One headless Chromium for the tab items (1, 2, 6), shared by every item of
 * a bench process (BenchContext.tabBrowser): each configuration gets a fresh
 * coordinator and fresh tabs (pages) in the same browser, closed after.
 *
 * A configuration is measured once per repeat: when two items ask for the
 * same configuration, tab count and repeat (quick mode: the scaling item's
 * 1- and 4-tab MLP runs are item 6's), the second gets the first
 * one's run instead of paying for the tabs' start-up and training again.
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
  /** Where the run's wall time went, in seconds. */
  phases: { setup: number; openTabs: number; joinAndWarmup: number; training: number; finalEvaluation: number; close: number };
}

export function describePhases(r: TabRun): string {
  const p = r.phases;
  const total = Object.values(p).reduce((a, b) => a + b, 0);
  return `${total.toFixed(0)} s: setup ${p.setup.toFixed(1)}, opening tabs ${p.openTabs.toFixed(1)}, join + warm-up ${p.joinAndWarmup.toFixed(1)}, training ${p.training.toFixed(1)}, final evaluation ${p.finalEvaluation.toFixed(1)}, close ${p.close.toFixed(1)}`;
}

const BASELINE_JS = join(ROOT, 'dist', 'bench', 'baseline.js');

export class TabBrowser {
  private readonly runs = new Map<string, Promise<TabRun>>();
  private constructor(private readonly fleet: TabFleet) {}

  get connected(): boolean {
    return this.fleet.browser.isConnected();
  }

  static async launch(chromium: string, log: (l: string) => void): Promise<TabBrowser> {
    await ensureClientBundle();
    await build({ entryPoints: [join(ROOT, 'bench', 'browser', 'baseline.ts')], outfile: BASELINE_JS, bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, logLevel: 'error', external: ['worker_threads', 'fs', 'path', 'crypto', 'os'], define: { 'process.env.NODE_ENV': '"production"' } });
    return new TabBrowser(await launchTabs(chromium, [], log));
  }

  /** The run of `config` on `tabs` tabs for `repeat`, measured on first request. */
  run(config: ConfigInput, tabs: number, timeoutMs: number, repeat: number): Promise<TabRun> {
    const key = JSON.stringify([Object.entries(config).sort(([a], [b]) => a.localeCompare(b)), tabs, repeat]);
    let r = this.runs.get(key);
    if (!r) {
      r = this.measure(config, tabs, timeoutMs);
      this.runs.set(key, r);
      r.catch(() => this.runs.delete(key));
    }
    return r;
  }

  private async measure(config: ConfigInput, tabs: number, timeoutMs: number): Promise<TabRun> {
    const t0 = performance.now();
    const r = await startRun({ ...config, minPeers: tabs });
    const probe = new CoordinatorProbe(r.c.run);
    const t1 = performance.now();
    let out: TabRun;
    let closeSeconds = 0;
    try {
      // Opened together: their page loads overlap (they start training together anyway, at minPeers).
      await Promise.all(Array.from({ length: tabs }, (_, i) => this.fleet.open(`${r.c.localJoinUrl}&name=tab-${i + 1}`)));
      const t2 = performance.now();
      const reason = await within(r.c.done, timeoutMs, `${tabs}-tab run`);
      if (reason !== 'completed' && reason !== 'early-stopped') throw new Error(`${tabs}-tab run ended ${reason}: ${r.logs.slice(-3).join(' | ')}`);
      const t3 = performance.now();
      const run = r.c.run;
      const peers = [...run.peers.values()];
      const trainStart = run.trainStartedAt ?? t2;
      const lastStep = run.startedAt + (run.history.at(-1)?.t ?? 0) * 1000;
      const phases = { setup: t1 - t0, openTabs: t2 - t1, joinAndWarmup: trainStart - t2, training: lastStep - trainStart, finalEvaluation: t3 - lastStep, close: 0 };
      out = {
        phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, v / 1000])) as TabRun['phases'],
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
      const t4 = performance.now();
      // Every page this run opened, including one whose load failed.
      for (const p of this.fleet.pages.splice(0)) await p.close().catch(() => undefined);
      await r.close();
      closeSeconds = (performance.now() - t4) / 1000;
    }
    out.phases.close = closeSeconds;
    return out;
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
