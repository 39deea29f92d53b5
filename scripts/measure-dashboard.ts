/**
 * What the live dashboard costs and how fresh it is, on a real run:
 *
 *   npx tsx scripts/measure-dashboard.ts [--peers 50] [--seconds 15] [--model mlp] [--batch 256] [--rounds 2]
 *
 * A coordinator runs in this process; N node peers run in a child process
 * (so this process's CPU time is the coordinator's alone); a headless
 * Chromium opens the dashboard. Windows of equal length alternate dashboard
 * closed and open (--rounds 2: C O C O C). Reported: the coordinator's CPU (process.cpuUsage)
 * per second and per step in each window, the cost of one snapshot build, and
 * the update latency from a step's completion in the coordinator to the
 * dashboard's DOM showing it (and from the push leaving to the DOM).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import '../coordinator/tfjsNode';
import { parseConfig } from '../shared/config/parse';
import { startNodePeer } from '../client/node/nodePeer';
import { findChromium, CHROMIUM_ARGS } from '../coordinator/peers/chromium';
import { ensureClientBundle } from '../coordinator/server/bundle';
import { startCoordinator } from '../coordinator/server/server';
import { dashboardBase } from '../coordinator/server/status';
import { prepareRun } from '../coordinator/setup';

const argv = process.argv.slice(2);
const arg = (name: string, d: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : d;
};

if (argv[0] === '--peers-only') {
  // Child: N node peers against the given join URL, until killed.
  const [, url, n] = argv;
  for (let i = 0; i < Number(n); i++) startNodePeer({ joinUrl: url!, nickname: `load-${i + 1}` });
} else {
  await main();
}

async function main(): Promise<void> {
  const peers = Number(arg('peers', '50'));
  const seconds = Number(arg('seconds', '15'));
  const config = parseConfig({ dataset: 'mnist', model: arg('model', 'mlp'), batchSize: Number(arg('batch', '256')), steps: 1_000_000, minPeers: peers, host: '127.0.0.1', port: 0, peers: 0, progressSeconds: 3600 });
  const prepared = await prepareRun(config);
  await ensureClientBundle();
  const c = await startCoordinator(prepared.setup, { datasetBytes: prepared.datasetBytes, log: () => undefined });
  const run = c.run;
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--peers-only', c.localJoinUrl, String(peers)], { stdio: 'inherit' });
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  try {
    console.log(`waiting for ${peers} node peers to warm up...`);
    while (run.state !== 'training' && run.state !== 'evaluating') await sleep(200);
    await sleep(3000);

    const window = async (): Promise<{ cpuMsPerSec: number; steps: number; cpuMsPerStep: number }> => {
      const s0 = run.step;
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(seconds * 1000);
      const u = process.cpuUsage(u0);
      const secs = (performance.now() - t0) / 1000;
      const cpu = (u.user + u.system) / 1000;
      const steps = run.step - s0;
      return { cpuMsPerSec: cpu / secs, steps, cpuMsPerStep: steps ? cpu / steps : NaN };
    };

    // Alternate closed and open windows (C O C O ... C) so drift in step rate evens out.
    const rounds = Number(arg('rounds', '2'));
    const closed = [await window()];
    const opened: Awaited<ReturnType<typeof window>>[] = [];
    const renders: { step: number; sentAt: number; at: number; ms: number }[] = [];
    const feed0 = { pushes: c.dashboard.pushes, busyMs: c.dashboard.busyMs, cpuMs: c.dashboard.cpuMs };
    const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    let openMs = 0;
    for (let k = 0; k < rounds; k++) {
      const tOpen = performance.now();
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(c.dashboardUrl.replace(/\/\/[^/:]+:/, '//127.0.0.1:'));
      await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'live', undefined, { timeout: 30_000 });
      await sleep(2000);
      await page.evaluate(() => (window as unknown as { tabtrainDashboard: { renders: unknown[] } }).tabtrainDashboard.renders.splice(0));
      opened.push(await window());
      renders.push(...(await page.evaluate(() => (window as unknown as { tabtrainDashboard: { renders: { step: number; sentAt: number; at: number; ms: number }[] } }).tabtrainDashboard.renders)));
      await page.close();
      openMs += performance.now() - tOpen;
      await sleep(1000);
      closed.push(await window());
    }
    await browser.close();
    const pushes = c.dashboard.pushes - feed0.pushes;
    const pushMs = c.dashboard.busyMs - feed0.busyMs;
    const pushCpuMs = c.dashboard.cpuMs - feed0.cpuMs;
    const mean = (ws: { cpuMsPerSec: number }[]): number => ws.reduce((a, w) => a + w.cpuMsPerSec, 0) / ws.length;

    // Latency: a step's completion (coordinator clock) to the first render that shows it.
    const origin = performance.timeOrigin + run.startedAt;
    const stepLatency: number[] = [];
    const pushLatency: number[] = [];
    const renderMs: number[] = [];
    let shown = -1;
    for (const r of renders) {
      pushLatency.push(r.at - r.sentAt);
      renderMs.push(r.ms);
      if (r.step > shown && r.step > 0) {
        const h = run.history[r.step - 1];
        if (h) stepLatency.push(r.at - (origin + h.t * 1000));
        shown = r.step;
      }
    }
    // The cost of one push's snapshot, built and serialised here the same way.
    const reps = 200;
    const b0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < reps; i++) bytes = JSON.stringify(dashboardBase(run, peers, c.joinUrl)).length;
    const buildMs = (performance.now() - b0) / reps;

    const f = (x: number): string => x.toFixed(1);
    const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
    const baseline = mean(closed);
    console.log(`\n${peers} node peers, model ${config.model}, global batch ${config.batchSize}, ${seconds} s per window`);
    const windows = closed.flatMap((w, i) => (i < opened.length ? [['closed', w], ['open', opened[i]!]] : [['closed', w]])) as [string, Awaited<ReturnType<typeof window>>][];
    for (const [name, w] of windows) {
      console.log(`  dashboard ${name.padEnd(7)} coordinator CPU ${f(w.cpuMsPerSec)} ms/s (${f(w.cpuMsPerSec / 10)}% of a core), ${w.steps} steps, ${f(w.cpuMsPerStep)} ms CPU/step`);
    }
    console.log(`  dashboard open minus closed: ${f(mean(opened) - baseline)} ms CPU per second (${f((mean(opened) - baseline) / 10)}% of a core); means ${f(mean(opened))} vs ${f(baseline)} ms/s`);
    console.log(
      `  feed, measured inside the coordinator: ${pushes} pushes (${f((1000 * pushes) / openMs)}/s), each ${(pushCpuMs / pushes).toFixed(2)} ms CPU (${(pushMs / pushes).toFixed(2)} ms wall) to build, serialise and send; ` +
        `${f((1000 * pushCpuMs) / openMs)} ms CPU per second open (${((100 * pushCpuMs) / openMs).toFixed(2)}% of a core)`,
    );
    console.log(`  one snapshot now: ${(buildMs).toFixed(2)} ms to build and serialise, ${(bytes / 1024).toFixed(1)} KiB; ${renders.length} renders in ${rounds * seconds} s open (${f(renders.length / (rounds * seconds))}/s)`);
    console.log(`  update latency, step completed -> DOM: median ${f(q(stepLatency, 0.5))} ms, p90 ${f(q(stepLatency, 0.9))} ms, max ${f(Math.max(...stepLatency))} ms (${stepLatency.length} steps shown)`);
    console.log(`  push sent -> DOM: median ${f(q(pushLatency, 0.5))} ms, p90 ${f(q(pushLatency, 0.9))} ms; render itself: median ${f(q(renderMs, 0.5))} ms, max ${f(Math.max(...renderMs))} ms`);
  } finally {
    child.kill('SIGKILL');
    await c.close();
  }
  process.exit(0);
}
