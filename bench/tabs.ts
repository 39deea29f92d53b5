import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type BrowserServer, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../coordinator/peers/chromium';
import { ensureClientBundle } from '../coordinator/server/bundle';
import type { ConfigInput } from '../shared/config/schema';
import type { BaselineOptions, BaselineResult } from './browser/baseline';
import type { TabStepOptions, TabStepResult } from './browser/tabStep';
import { CoordinatorProbe, type StepCosts } from './probe';
import { startRun, within } from './run';
import { startRelay } from './relay';
import { bounded } from './bounded';
import { buildBrowserScripts, inBrowser } from './tabAnatomy';
import { CdpBrowser } from './cdp';
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
 *
 * A run's tabs are opened in a second headless Chromium driven over the
 * DevTools protocol directly (bench/cdp.ts), each in a window of its own, not
 * through Playwright: a Playwright page enables DevTools' Network domain, so
 * Chromium copies every WebSocket frame of the tab (base64, 400 KB of weights
 * and 400 KB of gradient per step of the MLP) into DevTools events, and
 * Playwright's server in this very process (the coordinator's) decodes and
 * compresses them while the tab computes. Measured side by side (1 tab,
 * MNIST MLP, batch 128): tab compute 206 ms under Playwright vs 74 ms
 * without, the bench process at 0.3 cores mostly in zlib. No student's
 * browser has DevTools open on the run's socket, so the tab runs go without.
 * The plain-tfjs baseline and the in-tab step anatomy (no WebSocket) stay
 * in Playwright pages.
 *
 * A run's tabs are closed with a bounded timeout: a close that hangs is
 * reported, that browser process is killed, and the next run gets a fresh
 * browser, so the rest of the bench goes on.
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
  /** With a fault: when the last tab's network was cut and restored, seconds since the run's start (history's clock). */
  cutWindow: { from: number; to: number } | null;
  /** A close that did not finish in time (the browser was killed), or null. */
  closeProblem: string | null;
  /** Bytes through the coordinator (run.p2p.view()): gradient (or weight-change) frames in, weights payloads out with tasks (training and evaluation). */
  wire: { gradBytesIn: number; weightsBytesOut: number };
  /** Where the run's wall time went, in seconds. */
  phases: { setup: number; openTabs: number; joinAndWarmup: number; training: number; finalEvaluation: number; close: number };
}

export function describePhases(r: TabRun): string {
  const p = r.phases;
  const total = Object.values(p).reduce((a, b) => a + b, 0);
  return `${total.toFixed(0)} s: setup ${p.setup.toFixed(1)}, opening tabs ${p.openTabs.toFixed(1)}, join + warm-up ${p.joinAndWarmup.toFixed(1)}, training ${p.training.toFixed(1)}, final evaluation ${p.finalEvaluation.toFixed(1)}, close ${p.close.toFixed(1)}`;
}

/** A network outage of the last tab: cut once the run reaches `afterStep`, restored `seconds` later. */
export interface NetworkCut {
  afterStep: number;
  seconds: number;
}

/** Bounds on closing a run's tabs and its coordinator: past them the browser is killed and relaunched. */
const CLOSE_TIMEOUT_MS = 20_000;
const LAUNCH_ARGS = [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'];
/** The tab runs' browser: the same flags, windows of the Playwright contexts' size. */
const TAB_ARGS = [...LAUNCH_ARGS, '--window-size=1000,800'];

export class TabBrowser {
  private readonly runs = new Map<string, Promise<TabRun>>();
  private server: BrowserServer | null = null;
  private browser: Browser | null = null;
  /** The tab runs' browser (no Playwright), launched on first use and again after a kill. */
  private host: CdpBrowser | null = null;
  private constructor(
    private readonly executablePath: string,
    private readonly log: (l: string) => void,
  ) {}

  /** Always usable: a browser that died or was killed is relaunched by the next run. */
  get connected(): boolean {
    return true;
  }

  static async launch(executablePath: string, log: (l: string) => void): Promise<TabBrowser> {
    await ensureClientBundle();
    await buildBrowserScripts();
    const t = new TabBrowser(executablePath, log);
    await t.ensure();
    return t;
  }

  /** The running browser, launched (again) when there is none. */
  private async ensure(): Promise<Browser> {
    if (this.browser?.isConnected()) return this.browser;
    await this.kill();
    // A browser server, so that a hung browser can be killed by its process.
    this.server = await chromium.launchServer({ executablePath: this.executablePath, headless: true, args: LAUNCH_ARGS });
    this.browser = await chromium.connect(this.server.wsEndpoint());
    return this.browser;
  }

  private async kill(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.browser = null;
    if (server) await bounded('killing the browser', server.kill(), CLOSE_TIMEOUT_MS).catch(() => undefined);
  }

  /** A fresh context (cookies, storage and GPU state of its own); its pages log their errors to the bench log. */
  private async newContext(): Promise<BrowserContext> {
    const context = await (await this.ensure()).newContext({ viewport: { width: 1000, height: 800 } });
    let n = 0;
    context.on('page', (page: Page) => {
      const i = ++n;
      page.on('pageerror', (e) => this.log(`tab ${i} error: ${e.message}`));
    });
    return context;
  }

  /** Closes a context within the bound; a hung close kills the browser. Says what went wrong, or null. */
  private async closeContext(context: BrowserContext, what: string): Promise<string | null> {
    try {
      await bounded(`closing ${what}`, context.close(), CLOSE_TIMEOUT_MS);
      return null;
    } catch (e) {
      const problem = `${e instanceof Error ? e.message : String(e)}: browser killed, the next run gets a new one`;
      this.log(problem);
      await this.kill();
      return problem;
    }
  }

  /** The run of `config` on `tabs` tabs for `repeat`, measured on first request; with `fault`, the last tab's network is cut for a while. */
  run(config: ConfigInput, tabs: number, timeoutMs: number, repeat: number, fault: NetworkCut | null = null): Promise<TabRun> {
    const key = JSON.stringify([Object.entries(config).sort(([a], [b]) => a.localeCompare(b)), tabs, repeat, fault]);
    let r = this.runs.get(key);
    if (!r) {
      r = this.measure(config, tabs, timeoutMs, fault);
      this.runs.set(key, r);
      r.catch(() => this.runs.delete(key));
    }
    return r;
  }

  private async measure(config: ConfigInput, tabs: number, timeoutMs: number, fault: NetworkCut | null): Promise<TabRun> {
    const t0 = performance.now();
    const r = await startRun({ ...config, minPeers: tabs });
    const probe = new CoordinatorProbe(r.c.run);
    const t1 = performance.now();
    let out: TabRun;
    let closeProblem: string | null = null;
    const t4 = { at: 0 };
    const relay = fault ? await startRelay(new URL(r.c.localJoinUrl)) : null;
    let cutWindow: TabRun['cutWindow'] = null;
    let poll: ReturnType<typeof setInterval> | undefined;
    const targets: string[] = [];
    let host: CdpBrowser | null = null;
    try {
      host = await this.tabHost();
      const h = host;
      // Opened together: their page loads overlap (they start training together anyway, at minPeers).
      await Promise.all(
        Array.from({ length: tabs }, async (_, i) => {
          const url = relay && i === tabs - 1 ? relay.url(r.c.localJoinUrl) : r.c.localJoinUrl;
          // One backend for every run (the baseline's): the backends item compares them.
          const id = await bounded(`opening tab ${i + 1}`, h.open(`${url}&name=tab-${i + 1}&backend=webgl`, false, true), CLOSE_TIMEOUT_MS);
          targets.push(id);
          await bounded(`watching tab ${i + 1}`, h.watchErrors(id, (m) => this.log(`tab ${i + 1} error: ${m}`)), CLOSE_TIMEOUT_MS);
        }),
      );
      const t2 = performance.now();
      if (relay && fault) {
        const since = (): number => (performance.now() - r.c.run.startedAt) / 1000;
        poll = setInterval(() => {
          if (cutWindow === null && r.c.run.step >= fault.afterStep) {
            relay.cut();
            cutWindow = { from: since(), to: Infinity };
            setTimeout(() => {
              relay.restore();
              if (cutWindow) cutWindow.to = since();
            }, fault.seconds * 1000);
          }
        }, 20);
      }
      const reason = await within(r.c.done, timeoutMs, `${tabs}-tab run`);
      if (reason !== 'completed' && reason !== 'early-stopped') throw new Error(`${tabs}-tab run ended ${reason}: ${r.logs.slice(-3).join(' | ')}`);
      const t3 = performance.now();
      const run = r.c.run;
      const peers = [...run.peers.values()];
      const trainStart = run.trainStartedAt ?? t2;
      const lastStep = run.startedAt + (run.history.at(-1)?.t ?? 0) * 1000;
      const phases = { setup: t1 - t0, openTabs: t2 - t1, joinAndWarmup: trainStart - t2, training: lastStep - trainStart, finalEvaluation: t3 - lastStep, close: 0 };
      const wire = run.p2p.view();
      out = {
        wire: { gradBytesIn: wire.gradBytes, weightsBytesOut: wire.weights.outBytes },
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
        closeProblem: null,
        cutWindow,
      };
    } finally {
      clearInterval(poll);
      relay?.close();
      t4.at = performance.now();
      // Every tab this run opened, including one whose load failed.
      closeProblem = await this.closeTabs(host, targets, `the ${tabs}-tab run's tabs`);
      await bounded(`closing the ${tabs}-tab run's coordinator`, r.close(), CLOSE_TIMEOUT_MS).catch((e: unknown) => {
        const m = e instanceof Error ? e.message : String(e);
        this.log(m);
        closeProblem = closeProblem ? `${closeProblem}; ${m}` : m;
      });
    }
    out.phases.close = (performance.now() - t4.at) / 1000;
    out.closeProblem = closeProblem;
    return out;
  }

  /** The tab runs' browser, launched when there is none (or the last one died or was killed). */
  private async tabHost(): Promise<CdpBrowser> {
    if (this.host?.alive) return this.host;
    await this.killHost();
    this.host = await CdpBrowser.launch(this.executablePath, TAB_ARGS);
    return this.host;
  }

  private async killHost(): Promise<void> {
    const h = this.host;
    this.host = null;
    if (h) await bounded('killing the tab browser', h.shutdown(), CLOSE_TIMEOUT_MS).catch(() => undefined);
  }

  /** Closes a run's tabs within the bound; a hung close kills their browser. Says what went wrong, or null. */
  private async closeTabs(host: CdpBrowser | null, targets: readonly string[], what: string): Promise<string | null> {
    if (!host) return null;
    try {
      await bounded(`closing ${what}`, Promise.all(targets.map((t) => host.close(t))), CLOSE_TIMEOUT_MS);
      return null;
    } catch (e) {
      const problem = `${e instanceof Error ? e.message : String(e)}: tab browser killed, the next run gets a new one`;
      this.log(problem);
      await this.killHost();
      return problem;
    }
  }

  /** The plain-tfjs baseline in a page of its own (or in a Web Worker of it, where a tabtrain tab computes). */
  async baseline(o: BaselineOptions, where: 'page' | 'worker' = 'page'): Promise<BaselineResult> {
    return this.inPage((page) => inBrowser<BaselineOptions, BaselineResult>(page, 'baseline', 'tabtrainBaseline', o, where));
  }

  /** The in-tab step anatomy of the tabtrain trainer (browser/tabStep.ts). */
  async tabStep(o: TabStepOptions, where: 'page' | 'worker' = 'worker'): Promise<TabStepResult> {
    return this.inPage((page) => inBrowser<TabStepOptions, TabStepResult>(page, 'tabStep', 'tabtrainTabStep', o, where));
  }

  private async inPage<R>(f: (page: Page) => Promise<R>): Promise<R> {
    const context = await this.newContext();
    try {
      const page = await context.newPage();
      // A secure origin (http on loopback), not about:blank: WebGPU (navigator.gpu) exists only in secure contexts.
      await page.goto(await this.blankUrl());
      return await f(page);
    } finally {
      await this.closeContext(context, 'a baseline page');
    }
  }

  private blank: Promise<{ url: string; server: HttpServer }> | null = null;

  private async blankUrl(): Promise<string> {
    this.blank ??= new Promise((resolve) => {
      const server = createServer((_, res) => res.setHeader('content-type', 'text/html').end('<!doctype html><title>tabtrain bench</title>'));
      server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server }));
    });
    return (await this.blank).url;
  }

  async close(): Promise<void> {
    if (this.blank) (await this.blank).server.close();
    if (this.browser) await bounded('closing the browser', this.browser.close(), CLOSE_TIMEOUT_MS).catch(() => undefined);
    await this.kill();
    await this.killHost();
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
