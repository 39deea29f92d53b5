import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchContext, ItemResult } from '../context';
import { table } from '../context';
import { median, round } from '../stats';
import { barChart } from '../svg';

/**
 * Item 5: how much one coordinator carries. Replay peers (a precomputed
 * gradient instead of a computed one) in one child process, the coordinator
 * alone in another, so its CPU and peak RSS are its own. Steps/s and step
 * latency are over the steady steps (the first, with every peer's first
 * download, is left out).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const MODELS = { '100k': [316, 316], '1M': [1000, 1000] } as const;

interface Point {
  peers: number;
  model: keyof typeof MODELS;
  params: number;
  stepsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuCores: number;
  peakRssMB: number;
  steps: number;
}

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function lines(p: ChildProcess, onLine: (l: string) => void): void {
  createInterface({ input: p.stdout! }).on('line', onLine);
}

async function once(peers: number, model: keyof typeof MODELS, steps: number, log: (l: string) => void): Promise<Point> {
  const serve = child(['bench/capacity/serve.ts', JSON.stringify({ peers, hidden: MODELS[model], steps })]);
  let fleet: ChildProcess | null = null;
  let stderr = '';
  serve.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    return await new Promise<Point>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`capacity ${peers} peers ${model}: no result in 10 min`)), 600_000);
      let params = 0;
      lines(serve, (l) => {
        let m: { joinUrl?: string; params?: number; result?: Omit<Point, 'peers' | 'model' | 'params'> & { reason: string } };
        try {
          m = JSON.parse(l) as typeof m;
        } catch {
          return;
        }
        if (m.joinUrl) {
          params = m.params ?? 0;
          fleet = child(['bench/capacity/fleet.ts', m.joinUrl, String(peers)]);
          fleet.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        } else if (m.result) {
          clearTimeout(timer);
          if (m.result.reason !== 'completed') reject(new Error(`capacity run ended ${m.result.reason}`));
          else resolve({ peers, model, params, ...m.result });
        }
      });
      serve.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`coordinator process exited (${code}) before a result: ${stderr.slice(-500)}`));
      });
    });
  } finally {
    const f = fleet as ChildProcess | null;
    if (f && f.exitCode === null) f.kill('SIGTERM');
    if (serve.exitCode === null) serve.kill('SIGTERM');
    log('');
  }
}

export async function capacityItem(ctx: BenchContext): Promise<ItemResult> {
  const grid: [number, keyof typeof MODELS][] = ctx.quick
    ? [
        [50, '100k'],
        [200, '100k'],
        [50, '1M'],
      ]
    : [
        [50, '100k'],
        [200, '100k'],
        [500, '100k'],
        [50, '1M'],
        [200, '1M'],
        [500, '1M'],
      ];
  const steps = ctx.quick ? 8 : 20;
  const repeats = ctx.quick ? 1 : ctx.repeats;
  const all: Point[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    for (const [peers, model] of grid) {
      const p = await once(peers, model, steps, () => undefined);
      all.push(p);
      ctx.log(`capacity ${peers} replay peers, ${model} params: ${p.stepsPerSec.toFixed(2)} steps/s, p50 ${p.p50Ms.toFixed(0)} ms, p99 ${p.p99Ms.toFixed(0)} ms, coordinator CPU ${p.cpuCores.toFixed(2)} cores, peak RSS ${p.peakRssMB.toFixed(0)} MB`);
    }
  }
  const rows = grid.map(([peers, model]) => {
    const ps = all.filter((p) => p.peers === peers && p.model === model);
    return {
      peers,
      model,
      params: ps[0]!.params,
      stepsPerSec: round(median(ps.map((p) => p.stepsPerSec)), 2),
      p50Ms: round(median(ps.map((p) => p.p50Ms)), 1),
      p99Ms: round(median(ps.map((p) => p.p99Ms)), 1),
      cpuCores: round(median(ps.map((p) => p.cpuCores)), 2),
      peakRssMB: round(median(ps.map((p) => p.peakRssMB)), 0),
      // What the coordinator moves per step: weights to every peer, a gradient from every peer.
      mbPerStep: round((2 * peers * ps[0]!.params * 4) / 2 ** 20, 0),
    };
  });
  const markdown = [
    `One coordinator process; replay peers in another (each answers a TASK with a precomputed fp32 gradient at once). Synthetic data (gauss, 100k samples), MLP of ~100k or ~1M parameters, Adam, global batch max(256, 4 x peers), ${steps} steps${repeats > 1 ? `, medians over ${repeats} repeats` : ', one run each'}. CPU is the coordinator process's user+system time over the steady steps divided by their wall time (cores busy); both processes share the machine's cores.`,
    '',
    table(
      ['peers', 'params', 'steps/s', 'p50 step ms', 'p99 step ms', 'coordinator CPU (cores)', 'peak RSS MB', 'MB moved per step'],
      rows.map((r) => [r.peers, r.params.toLocaleString('en'), r.stepsPerSec, r.p50Ms, r.p99Ms, r.cpuCores, r.peakRssMB, r.mbPerStep]),
    ),
  ].join('\n');
  const svg = barChart({
    title: 'Coordinator capacity: steps/s with replay peers',
    yLabel: 'steps per second',
    categories: rows.map((r) => `${r.peers} x ${r.model}`),
    series: [{ name: 'steps/s', values: rows.map((r) => r.stepsPerSec) }],
    xLabel: 'replay peers x parameters',
  });
  return {
    data: { steps, repeats, rows, runs: all },
    markdown,
    svgs: { capacity: svg },
    headline: rows.map((r) => ({ label: `capacity ${r.peers} peers x ${r.model}`, value: `${r.stepsPerSec} steps/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.cpuCores} cores, ${r.peakRssMB} MB` })),
  };
}
