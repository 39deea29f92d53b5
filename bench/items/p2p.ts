import { build } from 'esbuild';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../coordinator/peers/chromium';
import { ensureClientBundle } from '../../coordinator/server/bundle';
import type { ConfigInput } from '../../shared/config/schema';
import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { startRun, within } from '../run';
import { median, round } from '../stats';
import { barChart } from '../svg';

/**
 * Issue 12's closing figures, each measured in one run, in one headless
 * Chromium of this item's own:
 *
 * 1. Gradient bytes into the coordinator and weights bytes out of it per
 *    step, star vs --p2p (fan-in 2: weights go to the tree's roots only and
 *    down the tree from there), with 2, 4 and 8 WebGL tabs (embedded MNIST,
 *    MLP 784-128-10: 101,770 parameters, float32 gradients and weights,
 *    global batch 128), and the median step time of each run (4 and 8 tabs
 *    are the issue's comparison).
 * 2. Data-channel throughput between two tabs on loopback (PeerJS through
 *    the coordinator's own server; 32 messages of 1 MiB per chunk size).
 * 3. A relay tab closed mid-step in a 4-tab --p2p run: that step's time
 *    against the run's median, the shards given back, and the accounting.
 *
 * Steps after the first are counted (the first includes shader warm-up).
 */
const SIZES = [2, 4, 8];
const STEPS = 8;
const K = 2;
const RUN_MS = 15 * 60_000;
const JOB: ConfigInput = { dataset: 'mnist', model: 'mlp', batchSize: 128, optimizer: 'adam', seed: 3 };

interface FleetRun {
  tabs: number;
  p2p: boolean;
  /** Median over steps 2..S. */
  bytesPerStep: number;
  framesPerStep: number;
  /** Weights payload bytes out of the coordinator per step (median over steps 2..S). */
  weightsOutPerStep: number;
  /** Training tasks whose weights went down a tree; tabs that fetched them from the coordinator instead. */
  weightsViaTree: number;
  weightsFallbacks: number;
  stepMs: number;
  treeTabs: number;
  relayedAccepted: number;
  digestsPassed: number;
  samplesUsed: number;
  load: number;
}

/**
 * In the page before its scripts: from step `from` on, a relay that gets its own gradient holds it back and asks the
 * binding; the first to ask is closed by the bench (the relay closed mid-step), any later one gets its gradient back.
 */
function holdRelayScript(from: number): string {
  return `(() => { const W = window.Worker; const relaying = new Set(); let asked = false;
    window.Worker = class extends W { constructor(u, o) { super(u, o); this.addEventListener('message', (e) => {
      const m = e.data; if (!m || m.type !== 'p2p' || !m.call) return; const c = m.call;
      if (c.kind === 'role' && c.role.children.length > 0 && c.role.step >= ${from}) relaying.add(c.role.taskId);
      if (c.kind === 'own' && !asked && relaying.has(c.taskId)) {
        asked = true; e.stopImmediatePropagation();
        window.tabtrainRelayHolding(c.step).then((close) => { if (!close) this.onmessage && this.onmessage(e); });
      }
    }); } }; })();`;
}

async function fleetRun(browser: Browser, tabs: number, p2p: boolean, log: (l: string) => void, closeRelayFrom: number | null = null): Promise<FleetRun & { closedStep: number | null; closedMs: number | null; logs: string[] }> {
  const r = await startRun({ ...JOB, steps: STEPS, minPeers: tabs, ...(p2p ? { p2p: true, p2pFanIn: K } : {}) });
  const context = await browser.newContext();
  let closedStep: number | null = null;
  try {
    if (closeRelayFrom !== null) {
      await context.exposeBinding('tabtrainRelayHolding', async ({ page }, step: number): Promise<boolean> => {
        if (closedStep !== null) return false;
        closedStep = step;
        void page.close();
        return true;
      });
      await context.addInitScript(holdRelayScript(closeRelayFrom));
    }
    await Promise.all(Array.from({ length: tabs }, async (_, i) => (await context.newPage()).goto(`${r.c.localJoinUrl}&name=tab-${i + 1}&backend=webgl`)));
    const reason = await within(r.c.done, RUN_MS, `${tabs}-tab ${p2p ? 'tree' : 'star'} run`);
    if (reason !== 'completed') throw new Error(`${tabs}-tab run ended ${reason}: ${r.logs.slice(-3).join(' | ')}`);
    const run = r.c.run;
    const v = run.p2p.view();
    const steady = v.recent.filter((s) => s.step > 1);
    const hist = run.history.filter((h) => h.step > 1);
    const out = {
      tabs,
      p2p,
      bytesPerStep: median(steady.map((s) => s.bytes)),
      framesPerStep: median(steady.map((s) => s.frames)),
      weightsOutPerStep: median(steady.map((s) => s.weightsOut)),
      weightsViaTree: v.weights.viaTree,
      weightsFallbacks: v.weights.fallbacks,
      stepMs: round(median(hist.map((h) => h.ms)), 0),
      treeTabs: median(steady.map((s) => s.tree)),
      relayedAccepted: v.relayed.accepted,
      digestsPassed: v.digests.passed,
      samplesUsed: run.accounting.reduce((a, e) => a + e.samplesUsed, 0),
      load: round(loadavg()[0]!, 1),
      closedStep,
      closedMs: closedStep === null ? null : round(run.history.find((h) => h.step === closedStep)?.ms ?? NaN, 0),
      logs: r.logs.filter((l) => /p2p|relay/.test(l)),
    };
    log(`p2p ${tabs} tabs ${p2p ? 'tree' : 'star'}: ${out.bytesPerStep} gradient bytes/step in ${out.framesPerStep} frames, ${out.weightsOutPerStep} weights bytes/step out (${out.weightsViaTree} payloads down trees, ${out.weightsFallbacks} fetched), median step ${out.stepMs} ms, tree tabs ${out.treeTabs}, relayed ${out.relayedAccepted}, digests passed ${out.digestsPassed}, samples ${out.samplesUsed}, load ${out.load}`);
    return out;
  } finally {
    await context.close().catch(() => undefined);
    await r.close();
  }
}

interface Probe {
  tabtrainP2p: {
    open(id: string, origin: string, token: string, ms: number): Promise<boolean>;
    connect(remote: string, ms: number): Promise<boolean>;
    throughput(count: number, bytes: number, chunkBytes: number): Promise<{ mbPerS: number; ms: number; bytes: number }>;
  };
}

async function throughput(browser: Browser): Promise<{ chunkBytes: number; mbPerS: number }[]> {
  const probe = join(process.cwd(), 'dist', 'p2p', 'probe.js');
  await build({ entryPoints: [join(process.cwd(), 'client', 'p2p', 'probe.ts')], outfile: probe, bundle: true, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'error' });
  const r = await startRun({ dataset: 'circles', samples: 200, minPeers: 99 });
  const context = await browser.newContext({ bypassCSP: true });
  try {
    const url = new URL(r.c.localJoinUrl);
    const token = url.searchParams.get('t') ?? '';
    const open = async (id: string): Promise<Page> => {
      const page = await context.newPage();
      await page.goto(`${url.origin}/p2p-bench`).catch(() => undefined);
      await page.addScriptTag({ path: probe });
      if (!(await page.evaluate(([i, o, t]) => (window as unknown as Probe).tabtrainP2p.open(i!, o!, t!, 10_000), [id, url.origin, token]))) throw new Error(`tab ${id}: no PeerJS node`);
      return page;
    };
    await open('bench-a');
    const b = await open('bench-b');
    if (!(await b.evaluate(() => (window as unknown as Probe).tabtrainP2p.connect('bench-a', 10_000)))) throw new Error('no data channel between the two tabs');
    const out: { chunkBytes: number; mbPerS: number }[] = [];
    for (const chunkBytes of [16_300, 64 * 1024, 256 * 1024]) {
      const t = await b.evaluate(([c]) => (window as unknown as Probe).tabtrainP2p.throughput(32, 1024 * 1024, c!), [chunkBytes]);
      out.push({ chunkBytes, mbPerS: round(t.mbPerS, 1) });
    }
    return out;
  } finally {
    await context.close().catch(() => undefined);
    await r.close();
  }
}

export async function p2pItem(ctx: BenchContext): Promise<ItemResult> {
  if (!ctx.chromium) throw new Error('the p2p item needs Chromium');
  await ensureClientBundle();
  const browser = await chromium.launch({ executablePath: ctx.chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    const sizes = ctx.quick ? [2, 4] : SIZES;
    const runs: FleetRun[] = [];
    for (const n of sizes) for (const p2p of [false, true]) runs.push(await fleetRun(browser, n, p2p, ctx.log));
    const link = await throughput(browser);
    ctx.log(`p2p data channel tab->tab on loopback: ${link.map((l) => `${l.chunkBytes} B chunks ${l.mbPerS} MB/s`).join(', ')}`);
    const fault = await fleetRun(browser, 4, true, ctx.log, 3);
    ctx.log(`p2p relay closed mid-step: step ${fault.closedStep} took ${fault.closedMs} ms (median ${fault.stepMs} ms); samples ${fault.samplesUsed} of ${STEPS * 128}; ${fault.logs.join(' | ')}`);
    const pair = (n: number): { star: FleetRun; tree: FleetRun } => ({ star: runs.find((r) => r.tabs === n && !r.p2p)!, tree: runs.find((r) => r.tabs === n && r.p2p)! });
    const rows = sizes.map((n) => {
      const { star, tree } = pair(n);
      return [n, star.bytesPerStep, tree.bytesPerStep, round(tree.bytesPerStep / star.bytesPerStep, 3), `${star.framesPerStep} / ${tree.framesPerStep}`, star.weightsOutPerStep, tree.weightsOutPerStep, round(tree.weightsOutPerStep / star.weightsOutPerStep, 3), `${tree.weightsViaTree} / ${tree.weightsFallbacks}`, star.stepMs, tree.stepMs, round(tree.stepMs / star.stepMs, 2), `${star.load} / ${tree.load}`];
    });
    const markdown = [
      `Headless Chromium on ${machine().cores} cores (load average at the start ${machine().loadAverage}); WebGL tabs; embedded MNIST, MLP 784-128-10 (101,770 parameters), global batch 128, Adam, ${STEPS} steps per run, fan-in ${K}; one run per configuration, medians over steps 2-${STEPS}.`,
      '',
      table(['tabs', 'star bytes/step in', 'tree bytes/step in', 'tree / star', 'sums in (star / tree)', 'star weights bytes/step out', 'tree weights bytes/step out', 'tree / star (out)', 'tree: payloads relayed / fetched', 'star step ms', 'tree step ms', 'tree / star time', 'load (star / tree)'], rows),
      '',
      `Data channel between two tabs on loopback (32 x 1 MiB): ${link.map((l) => `${l.mbPerS} MB/s with ${l.chunkBytes}-byte chunks`).join('; ')}.`,
      '',
      `A relay tab closed mid-step (4 tabs, --p2p, the relay's own gradient held back from step 3, the tab closed at once): step ${fault.closedStep} took ${fault.closedMs} ms against a median of ${fault.stepMs} ms; the run completed its ${STEPS} steps with ${fault.samplesUsed} samples used (${STEPS} x 128 = ${STEPS * 128}). Coordinator: ${fault.logs.join(' | ') || '(no p2p log line)'}.`,
    ].join('\n');
    const svgs = {
      weights: barChart({ title: 'Weights bytes out of the coordinator per step', yLabel: 'KiB per step', xLabel: 'tabs', categories: sizes.map(String), series: [{ name: 'star', values: sizes.map((n) => pair(n).star.weightsOutPerStep / 1024) }, { name: `tree (fan-in ${K})`, values: sizes.map((n) => pair(n).tree.weightsOutPerStep / 1024) }] }),
      bytes: barChart({ title: 'Gradient bytes into the coordinator per step', yLabel: 'KiB per step', xLabel: 'tabs', categories: sizes.map(String), series: [{ name: 'star', values: sizes.map((n) => pair(n).star.bytesPerStep / 1024) }, { name: `tree (fan-in ${K})`, values: sizes.map((n) => pair(n).tree.bytesPerStep / 1024) }] }),
    };
    return {
      data: { steps: STEPS, fanIn: K, runs, link, fault },
      markdown,
      svgs,
      headline: [
        ...sizes.map((n) => ({ label: `p2p ${n} tabs: coordinator bytes/step star vs tree; step ms`, value: `${pair(n).star.bytesPerStep} vs ${pair(n).tree.bytesPerStep} (${round(pair(n).tree.bytesPerStep / pair(n).star.bytesPerStep, 3)}); ${pair(n).star.stepMs} vs ${pair(n).tree.stepMs} ms` })),
        ...sizes.map((n) => ({ label: `p2p ${n} tabs: weights bytes/step out of the coordinator, star vs tree`, value: `${pair(n).star.weightsOutPerStep} vs ${pair(n).tree.weightsOutPerStep} (${round(pair(n).tree.weightsOutPerStep / pair(n).star.weightsOutPerStep, 3)})` })),
        { label: 'p2p data channel tab->tab (64 KiB chunks)', value: `${link.find((l) => l.chunkBytes === 64 * 1024)?.mbPerS} MB/s` },
        { label: 'p2p relay closed mid-step (4 tabs)', value: `step ${fault.closedStep}: ${fault.closedMs} ms vs median ${fault.stepMs} ms; ${fault.samplesUsed}/${STEPS * 128} samples` },
      ],
    };
  } finally {
    await browser.close();
  }
}
