import { ensureClientBundle } from '../../coordinator/server/bundle';
import type { HistoryEntry } from '../../coordinator/run/types';
import { CdpBrowser } from '../cdp';
import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { startRun } from '../run';
import { median, round } from '../stats';
import { barChart } from '../svg';

/**
 * Issue 4: does a tab keep its speed in the background? One tab trains, in a
 * browser started as a person's is (background tabs throttled), through three
 * phases of one run: in front, hidden behind another tab, in front again. The
 * ratio is the hidden phase's samples/s over the mean of the two visible
 * phases around it, so drift in machine load cancels. It is measured with the
 * computing in the Web Worker (the default) and in the page (`?worker=0`,
 * what the page did before, and the fallback where a browser has no WebGL in
 * workers) side by side in each repeat.
 */
type Mode = 'worker' | 'page';
type Phase = 'visible' | 'hidden' | 'visible again';

interface PhaseResult {
  phase: Phase;
  visibility: string;
  steps: number;
  seconds: number;
  samplesPerSec: number;
}

interface ModeRun {
  mode: Mode;
  where: string;
  backend: string;
  phases: PhaseResult[];
  /** Hidden samples/s over the mean of the visible phases. */
  ratio: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Samples/s over history entries (a, b], as the median of each step's samples
 * over the wall time since the step before: robust to the odd slow step (a
 * short last batch of an epoch compiles new WebGL kernels once). A step that
 * opens an epoch is left out: its interval holds the validation pass.
 */
function rate(h: readonly HistoryEntry[], a: number, b: number): { steps: number; seconds: number; samplesPerSec: number } {
  const rates: number[] = [];
  for (let i = a + 1; i <= b; i++) {
    const dt = h[i]!.t - h[i - 1]!.t;
    if (h[i]!.epoch === h[i - 1]!.epoch && dt > 0) rates.push(h[i]!.samples / dt);
  }
  return { steps: b - a, seconds: h[b]!.t - h[a]!.t, samplesPerSec: median(rates) };
}

async function once(browser: CdpBrowser, mode: Mode, o: { warm: number; window: number; capMs: number }, log: (l: string) => void): Promise<ModeRun> {
  const r = await startRun({ dataset: 'mnist', model: 'mlp', batchSize: 128, steps: 100_000, optimizer: 'adam', seed: 1, minPeers: 1 });
  const h = r.c.run.history;
  const stepsDone = async (n: number, capMs: number): Promise<number> => {
    const t0 = Date.now();
    while (h.length < n && Date.now() - t0 < capMs) await sleep(50);
    return h.length - 1;
  };
  const tab = await browser.open(`${r.c.localJoinUrl}&name=bg-${mode}&worker=${mode === 'worker' ? 1 : 0}`);
  let cover: string | null = null;
  try {
    const started = await stepsDone(o.warm + 1, 180_000);
    if (started < o.warm) throw new Error(`background (${mode}): the tab did not start training in 3 min: ${r.logs.slice(-3).join(' | ')}`);
    const where = await browser.evaluate<string>(tab, 'document.body.dataset.where ?? ""');
    const backend = await browser.evaluate<string>(tab, 'document.getElementById("backend").textContent');
    const phases: PhaseResult[] = [];
    const phase = async (name: Phase): Promise<void> => {
      const visibility = await browser.evaluate<string>(tab, 'document.visibilityState');
      const a = h.length - 1;
      const b = await stepsDone(a + 1 + o.window, o.capMs);
      // A throttled tab may not finish `window` steps in the cap: take what it did, or bound it by the cap.
      const m = b > a ? rate(h, a, b) : { steps: 0, seconds: o.capMs / 1000, samplesPerSec: 0 };
      phases.push({ phase: name, visibility, ...m });
      log(`background ${mode}: ${name} (${visibility}) ${m.samplesPerSec.toFixed(0)} samples/s over ${m.steps} steps`);
    };
    await phase('visible');
    cover = await browser.open('about:blank');
    await sleep(300);
    await phase('hidden');
    await browser.activate(tab);
    await sleep(300);
    await phase('visible again');
    const visible = (phases[0]!.samplesPerSec + phases[2]!.samplesPerSec) / 2;
    return { mode, where, backend, phases, ratio: phases[1]!.samplesPerSec / visible };
  } finally {
    if (cover) await browser.close(cover);
    await browser.close(tab);
    await r.close();
  }
}

export async function backgroundItem(ctx: BenchContext): Promise<ItemResult> {
  const repeats = ctx.quick ? 2 : ctx.repeats;
  const o = ctx.quick ? { warm: 8, window: 20, capMs: 30_000 } : { warm: 10, window: 40, capMs: 60_000 };
  await ensureClientBundle();
  const browser = await CdpBrowser.launch(ctx.chromium!);
  const runs: ModeRun[][] = [];
  try {
    for (let rep = 0; rep < repeats; rep++) {
      const pair: ModeRun[] = [];
      for (const mode of ['worker', 'page'] as const) pair.push(await once(browser, mode, o, ctx.log));
      runs.push(pair);
      ctx.log(`background repeat ${rep + 1}: hidden/visible ${pair.map((p) => `${p.mode} ${p.ratio.toFixed(2)}`).join(', ')}`);
    }
  } finally {
    await browser.shutdown();
  }
  const modes = (['worker', 'page'] as const).map((mode, i) => {
    const rs = runs.map((p) => p[i]!);
    const phase = (k: number): number => round(median(rs.map((r) => r.phases[k]!.samplesPerSec)), 1);
    return { mode, where: rs[0]!.where, backend: rs[0]!.backend, visible: phase(0), hidden: phase(1), visibleAgain: phase(2), ratio: round(median(rs.map((r) => r.ratio)), 3), hiddenState: rs.map((r) => r.phases[1]!.visibility) };
  });
  const label = (m: Mode): string => (m === 'worker' ? 'Web Worker (default)' : 'in the page (?worker=0)');
  const markdown = [
    `One tab trains the MLP (batch 128, Adam) on embedded MNIST in a headless Chromium started without the anti-throttling flags, so a background tab is throttled as a person's is. Each run has three phases of ${o.window} steps (a phase stops early after ${o.capMs / 1000} s): the tab in front, then hidden behind a newer tab (\`document.visibilityState\` is recorded as ${modes[0]!.hiddenState[0]}), then in front again. A phase's rate is the median over its steps of samples over the wall time since the previous step end (robust to the odd kernel compile; the step after an epoch's validation pass is left out). Ratio: hidden samples/s over the mean of the two visible phases, taken within a run, then the median over ${repeats} repeat${repeats > 1 ? 's' : ''}; both modes run back to back in each repeat on ${machine().cores} cores.`,
    '',
    table(
      ['where the gradients are computed', 'backend', 'visible samples/s', 'hidden samples/s', 'visible again samples/s', 'hidden / visible'],
      modes.map((m) => [label(m.mode), m.backend, m.visible, m.hidden, m.visibleAgain, `${m.ratio}x`]),
    ),
  ].join('\n');
  const svgs = {
    background: barChart({
      title: 'One tab, visible vs hidden (samples/s)',
      yLabel: 'samples per second',
      categories: modes.map((m) => label(m.mode)),
      series: [
        { name: 'visible', values: modes.map((m) => (m.visible + m.visibleAgain) / 2) },
        { name: 'hidden', values: modes.map((m) => m.hidden) },
      ],
    }),
  };
  return {
    data: { repeatsRun: repeats, phaseSteps: o.window, phaseCapSeconds: o.capMs / 1000, modes, runs },
    markdown,
    svgs,
    headline: modes.map((m) => ({ label: `hidden / visible tab throughput, ${label(m.mode)}`, value: `${m.ratio}x (${m.hidden} vs ${round((m.visible + m.visibleAgain) / 2, 1)} samples/s)` })),
  };
}
