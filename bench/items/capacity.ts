import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchContext, ItemResult } from '../context';
import { table } from '../context';
import { median, round } from '../stats';
import { barChart } from '../svg';

/**
 * Item 5: how much one coordinator carries. The coordinator alone in one
 * child process (capacity/serve.ts), so its CPU and peak RSS are its own;
 * replay peers (bench/replay/replayPeer.ts: a precomputed gradient, weights
 * dropped unread) in others (capacity/fleet.ts), whose own CPU per step is
 * reported beside the coordinator's to show that they are not the limit.
 * Steps/s and step latency are over the steady steps (the first, right
 * after every peer joined, is left out). A run that does not finish by its
 * deadline reports what it measured until then.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const MODELS = { '100k': [316, 316], '1M': [1000, 1000] } as const;
type Model = keyof typeof MODELS;
/** Replay peers per fleet process: the peers of one process share one event loop. */
const PEERS_PER_FLEET = 250;
/** Beyond the coordinator's own deadline: process start-up, joins, final evaluation, exit. */
const GRACE_SEC = 60;

interface Measured {
  reason: string;
  steps: number;
  joinSeconds: number;
  stepsPerSec: number;
  /** Global batches per second (= steps/s in sync mode). */
  batchesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuCores: number;
  cpuMsPerStep: number;
  peakRssMB: number;
}

interface Run extends Measured {
  peers: number;
  model: Model;
  /** --mode local's H (0: sync): a "step" is then a round of H global batches. */
  localSteps: number;
  params: number;
  repeat: number;
  fleetCpuMsPerStep: number;
  error?: string;
}

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Calls `onJson` with every JSON line the process prints. */
function jsonLines(p: ChildProcess, onJson: (m: Record<string, unknown>) => void): void {
  createInterface({ input: p.stdout! }).on('line', (l) => {
    try {
      onJson(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a result line
    }
  });
}

function exited(p: ChildProcess, ms: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      resolve();
    }, ms);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function once(peers: number, model: Model, steps: number, deadlineSec: number, repeat: number, localSteps = 0): Promise<Run> {
  const serve = child(['bench/capacity/serve.ts', JSON.stringify({ peers, hidden: MODELS[model], steps, deadlineSec, localSteps })]);
  const fleetCpuMs: number[] = [];
  let stderr = '';
  let params = 0;
  const keepErr = (p: ChildProcess): void => void p.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  keepErr(serve);
  // The fleets start with the coordinator and get its join URL on stdin.
  const fleets: ChildProcess[] = [];
  for (let first = 0; first < peers; first += PEERS_PER_FLEET) {
    const f = child(['bench/capacity/fleet.ts', '-', String(Math.min(PEERS_PER_FLEET, peers - first)), String(first)]);
    keepErr(f);
    jsonLines(f, (x) => void (x.fleet && fleetCpuMs.push(Number((x.fleet as { cpuMs: number }).cpuMs))));
    fleets.push(f);
  }
  const base = { peers, model, localSteps, repeat, fleetCpuMsPerStep: NaN };
  try {
    const m = await new Promise<Measured>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result ${deadlineSec + GRACE_SEC} s after start`)), (deadlineSec + GRACE_SEC) * 1000);
      jsonLines(serve, (msg) => {
        if (typeof msg.joinUrl === 'string') {
          params = Number(msg.params);
          for (const f of fleets) f.stdin!.end(`${msg.joinUrl}\n`);
        } else if (msg.result) {
          clearTimeout(timer);
          // JSON has no NaN: a figure a short run could not measure comes as null.
          resolve(Object.fromEntries(Object.entries(msg.result).map(([k, v]) => [k, v ?? NaN])) as unknown as Measured);
        }
      });
      serve.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`coordinator process exited (${code}) before a result: ${stderr.slice(-300)}`));
      });
    });
    for (const f of fleets) f.kill('SIGTERM');
    await Promise.all(fleets.map((f) => exited(f, 5000)));
    const fleetCpu = fleetCpuMs.length === fleets.length ? fleetCpuMs.reduce((a, b) => a + b, 0) / Math.max(1, m.steps) : NaN;
    return { ...base, ...m, params, fleetCpuMsPerStep: fleetCpu };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    return { ...base, params, reason: 'failed', error, steps: 0, joinSeconds: NaN, stepsPerSec: NaN, batchesPerSec: NaN, p50Ms: NaN, p99Ms: NaN, cpuCores: NaN, cpuMsPerStep: NaN, peakRssMB: NaN };
  } finally {
    for (const f of fleets) if (f.exitCode === null) f.kill('SIGKILL');
    if (serve.exitCode === null) serve.kill('SIGTERM');
    await exited(serve, 3000);
  }
}

export async function capacityItem(ctx: BenchContext): Promise<ItemResult> {
  // The third figure is --mode local's H (the replay peers answer LOCAL tasks): a step is a round of H global batches.
  const full: [number, Model, number][] = [
    [50, '100k', 0],
    [200, '100k', 0],
    [500, '100k', 0],
    [50, '1M', 0],
    [200, '1M', 0],
    [500, '1M', 0],
    [200, '1M', 16],
  ];
  // Quick: every peer count at 100k, and 1M at 50 peers (200 and 500 peers at 1M take 5 to 15 s a step here).
  const grid = ctx.quick ? full.filter(([p, m, h]) => h === 0 && (p === 50 || m === '100k')) : full;
  const label = (peers: number, model: Model, h: number): string => `${peers} x ${model}${h > 0 ? ` local H=${h}` : ''}`;
  // 500 peers x 1M parameters move 4 GB per step (~13 s a step here): 10 steps fit the deadline.
  const steps = ctx.quick ? 6 : 10;
  const deadlineSec = ctx.quick ? 40 : 180;
  const repeats = ctx.repeats;
  const all: Run[] = [];
  for (let rep = 1; rep <= repeats; rep++) {
    for (const [peers, model, h] of grid) {
      const r = await once(peers, model, steps, deadlineSec, rep, h);
      all.push(r);
      if (r.error) ctx.log(`capacity ${label(peers, model, h)} repeat ${rep}: failed: ${r.error}`);
      else
        ctx.log(
          `capacity ${label(peers, model, h)} repeat ${rep}: ${r.reason === 'timeout' ? `TIMEOUT at step ${r.steps}/${steps}, ` : ''}${r.stepsPerSec.toFixed(2)} steps/s, p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms, coordinator ${r.cpuCores.toFixed(2)} cores (${r.cpuMsPerStep.toFixed(0)} ms/step), fleet ${r.fleetCpuMsPerStep.toFixed(0)} ms/step, peak RSS ${r.peakRssMB.toFixed(0)} MB, joined in ${r.joinSeconds.toFixed(1)} s`,
        );
    }
  }
  const rows = grid.map(([peers, model, h]) => {
    const rs = all.filter((p) => p.peers === peers && p.model === model && p.localSteps === h);
    const med = (k: keyof Measured | 'fleetCpuMsPerStep', digits: number): number => round(median(rs.map((p) => p[k] as number)), digits);
    const done = rs.filter((r) => r.reason === 'completed').length;
    return {
      peers,
      model,
      localSteps: h,
      label: label(peers, model, h),
      params: rs.find((r) => r.params)?.params ?? 0,
      runs: done === rs.length ? `${done}/${rs.length}` : `${done}/${rs.length} (${rs.filter((r) => r.reason !== 'completed').map((r) => (r.error ? 'failed' : `timeout at step ${r.steps}/${steps}`)).join(', ')})`,
      stepsPerSec: med('stepsPerSec', 2),
      batchesPerSec: med('batchesPerSec', 2),
      p50Ms: med('p50Ms', 0),
      p99Ms: med('p99Ms', 0),
      cpuCores: med('cpuCores', 2),
      cpuMsPerStep: med('cpuMsPerStep', 0),
      fleetCpuMsPerStep: med('fleetCpuMsPerStep', 0),
      peakRssMB: med('peakRssMB', 0),
      joinSeconds: med('joinSeconds', 1),
    };
  });
  const mbPerStep = (r: (typeof rows)[number]): number => round((2 * r.peers * r.params * 4) / 2 ** 20, 0);
  const markdown = [
    `One coordinator process; replay peers in ${rows.some((r) => r.peers > PEERS_PER_FLEET) ? `other processes (${PEERS_PER_FLEET} per process)` : 'another'}: each answers a TASK at once with a precomputed fp32 gradient and drops the weights unread. Synthetic data (gauss, 100k samples), MLP of ~100k or ~1M parameters, Adam, global batch max(256, 4 x peers), ${steps} steps per run (the first left out); medians over ${repeats} repeat${repeats > 1 ? 's' : ''} (configurations interleaved); a "local H=16" row runs --mode local (replay peers answer each LOCAL task at once with a precomputed weight change): its step is a round of 16 global batches, one exchange with every peer, and "batches/s" counts global batches; "runs" counts the runs that completed (a run still going after ${deadlineSec} s is stopped and counts with the steps it did). Coordinator CPU is its process's user+system time over the steady steps, per second of them (cores busy: above 1 with V8's GC threads and the kernel's loopback TCP work) and per step; the fleet's is its processes' CPU per step. All processes share the machine's cores, so a fleet CPU near the coordinator's would mean the figure is partly the fleet's.`,
    '',
    table(
      ['peers', 'params', 'runs', 'steps/s', 'batches/s', 'p50 step ms', 'p99 step ms', 'coordinator CPU (cores)', 'coordinator CPU ms/step', 'replay fleet CPU ms/step', 'peak RSS MB', 'MB moved per step', 'join s'],
      rows.map((r) => [r.label, r.params.toLocaleString('en'), r.runs, r.stepsPerSec, r.batchesPerSec, r.p50Ms, r.p99Ms, r.cpuCores, r.cpuMsPerStep, r.fleetCpuMsPerStep, r.peakRssMB, mbPerStep(r), r.joinSeconds]),
    ),
  ].join('\n');
  const svg = barChart({
    title: 'Coordinator capacity: steps/s with replay peers',
    yLabel: 'steps per second',
    categories: rows.map((r) => r.label),
    series: [{ name: 'steps/s', values: rows.map((r) => r.stepsPerSec) }],
    xLabel: 'replay peers x parameters',
  });
  return {
    data: { steps, deadlineSec, repeats, peersPerFleet: PEERS_PER_FLEET, rows, runs: all },
    markdown,
    svgs: { capacity: svg },
    headline: rows.map((r) => ({ label: `capacity ${r.peers} peers x ${r.model}${r.localSteps ? ` local H=${r.localSteps}` : ''}`, value: `${r.stepsPerSec} steps/s${r.localSteps ? ` (${r.batchesPerSec} global batches/s)` : ''}, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.cpuCores} cores, ${r.peakRssMB} MB` })),
  };
}
