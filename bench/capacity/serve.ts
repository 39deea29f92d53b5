/**
 * Child process of the capacity bench (item 5): one coordinator, alone in
 * its process so that its CPU and memory are its own. Prints one JSON line
 * with the join URL, then, when the run ends or `deadlineSec` passes (a
 * partial result, reason "timeout"), one with the measurements.
 *
 *   node --import tsx bench/capacity/serve.ts '{"peers":50,"hidden":[316,316],"steps":10,"deadlineSec":120}'
 *
 * With "localSteps": H, the run is --mode local: `steps` rounds of H global
 * batches each (one exchange with every peer per round, as a sync step); the
 * figures are per round, and `batchesPerSec` counts global batches.
 */
import { percentile } from '../stats';
import { startRun } from '../run';

interface Args {
  peers: number;
  hidden: number[];
  steps: number;
  deadlineSec: number;
  /** --mode local with this H (0 or absent: sync). */
  localSteps?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const batchSize = Math.max(256, args.peers * 4);
const H = args.localSteps ?? 0;
const r = await startRun({
  ...(H > 0 ? { mode: 'local' as const, localSteps: H } : {}),
  dataset: 'gauss',
  samples: 100_000,
  model: 'mlp',
  hidden: args.hidden,
  optimizer: 'adam',
  batchSize,
  steps: args.steps * Math.max(1, H),
  minPeers: args.peers,
});
const run = r.c.run;
console.log(JSON.stringify({ joinUrl: r.c.localJoinUrl, params: run.store.trainableSize, batchSize }));

// CPU and wall time over the steady steps: from the end of the first step to the end of the last.
let peakRss = process.memoryUsage.rss();
let cpuAtFirst: NodeJS.CpuUsage | null = null;
let cpuSteady: NodeJS.CpuUsage | null = null;
let stepsSampled = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  if (!cpuAtFirst && run.history.length >= 1) cpuAtFirst = process.cpuUsage();
  if (cpuAtFirst && run.history.length > stepsSampled && stepsSampled < args.steps) {
    stepsSampled = run.history.length;
    cpuSteady = process.cpuUsage(cpuAtFirst);
  }
}, 10);

let deadline: ReturnType<typeof setTimeout> | undefined;
const reason = await Promise.race([r.c.done, new Promise<'timeout'>((res) => (deadline = setTimeout(() => res('timeout'), args.deadlineSec * 1000)))]);
clearTimeout(deadline);
clearInterval(sampler);
if (cpuAtFirst && run.history.length > stepsSampled) {
  // The last step ended just before the run did (its final evaluation was quicker than one sample).
  stepsSampled = Math.min(run.history.length, args.steps);
  cpuSteady = process.cpuUsage(cpuAtFirst);
}
const h = run.history.slice(0, stepsSampled);
// The first step includes the joins' aftermath; steady state is the rest.
const steady = h.slice(1);
const latencies = steady.map((x) => x.ms + x.updateMs);
const spanSec = steady.length >= 1 ? steady.at(-1)!.t - h[0]!.t : NaN;
const cpuMs = cpuSteady ? (cpuSteady.user + cpuSteady.system) / 1000 : NaN;
console.log(
  JSON.stringify({
    result: {
      reason,
      steps: h.length,
      peersReady: run.readyPeers,
      joinSeconds: run.trainStartedAt === null ? NaN : (run.trainStartedAt - run.startedAt) / 1000,
      stepsPerSec: steady.length / spanSec,
      batchesPerSec: steady.reduce((n, x) => n + x.samples, 0) / batchSize / spanSec,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cpuCores: cpuMs / 1000 / spanSec,
      cpuMsPerStep: cpuMs / Math.max(1, steady.length),
      peakRssMB: peakRss / 2 ** 20,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
    },
  }),
);
await r.close();
process.exit(0);
