/**
 * Child process of the capacity bench (item 5): one coordinator, alone in
 * its process so that its CPU and memory are its own. Prints one JSON line
 * with the join URL, then, when the run ends, one with the measurements.
 *
 *   node --import tsx bench/capacity/serve.ts '{"peers":50,"hidden":[316,316],"steps":10}'
 */
import { percentile } from '../stats';
import { startRun } from '../run';

interface Args {
  peers: number;
  hidden: number[];
  steps: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const batchSize = Math.max(256, args.peers * 4);
const r = await startRun({
  dataset: 'gauss',
  samples: 100_000,
  model: 'mlp',
  hidden: args.hidden,
  optimizer: 'adam',
  batchSize,
  steps: args.steps,
  minPeers: args.peers,
});
const run = r.c.run;
console.log(JSON.stringify({ joinUrl: r.c.localJoinUrl, params: run.store.trainableSize, batchSize }));

let peakRss = process.memoryUsage.rss();
let cpuAtFirst: NodeJS.CpuUsage | null = null;
let tAtFirst = 0;
let cpuAtLast: NodeJS.CpuUsage | null = null;
let tAtLast = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  if (!cpuAtFirst && run.history.length >= 1) {
    cpuAtFirst = process.cpuUsage();
    tAtFirst = performance.now();
  }
  if (!cpuAtLast && run.history.length >= args.steps) {
    cpuAtLast = process.cpuUsage(cpuAtFirst ?? undefined);
    tAtLast = performance.now();
  }
}, 25);

const reason = await r.c.done;
clearInterval(sampler);
const h = run.history;
// The first step includes every peer's first weights download; steady state is the rest.
const steady = h.slice(1);
const latencies = steady.map((x) => x.ms + x.updateMs);
const span = steady.length > 1 ? steady.at(-1)!.t - h[0]!.t : NaN;
const cpu = cpuAtLast ?? process.cpuUsage(cpuAtFirst ?? undefined);
const wallMs = (tAtLast || performance.now()) - tAtFirst;
console.log(
  JSON.stringify({
    result: {
      reason,
      steps: run.step,
      peersReady: run.readyPeers,
      stepsPerSec: steady.length / span,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cpuCores: (cpu.user + cpu.system) / 1000 / wallMs,
      cpuMsPerStep: (cpu.user + cpu.system) / 1000 / Math.max(1, args.steps - 1),
      peakRssMB: peakRss / 2 ** 20,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
    },
  }),
);
await r.close();
process.exit(0);
