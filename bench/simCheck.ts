/**
 * The simulator against a real run (issue 11): for 1-4 node peers on
 * loopback, sync MNIST MLP, the median measured step time next to the one
 * `tabtrain simulate`'s model gives with the cost model one peer alone
 * learned in the 1-peer run (its warm-up refined by every returned shard), a
 * loopback link and one shared CPU (the node peers run in this one process,
 * so with k peers each is measured k times slower: their own models would
 * count the sharing twice). Prints the ratio simulated / measured; the goal
 * is within 25%. Run: npx tsx bench/simCheck.ts [--mode sync|async|local:H] [peers...]
 * (1 comes first). In another mode the cost model is still the one a 1-peer
 * sync run learned (as the simulator's defaults come from one measured tab),
 * and the figure compared is the median time per update (a round of H global
 * batches in local mode). In local mode the fixed cost of each further
 * inner step (an optimizer update and a small forward/backward call; the
 * classroom default 0.5 ms is a WebGL tab's, not tfjs cpu's) is measured the
 * same way: from the 1-peer local run, (its median round - the model's round
 * with that cost 0) / (H - 1); 2-4 peers are then predicted, not fitted.
 */
import '../coordinator/tfjsNode';
import { startNodePeer } from '../client/node/nodePeer';
import { Trainer } from '../client/trainer/trainer';
import { parseConfig } from '../shared/config/parse';
import { prepareRun } from '../coordinator/setup';
import { startCoordinator } from '../coordinator/server/server';
import { CLASSROOM, type Assumptions } from '../coordinator/simulate/assumptions';
import { simulateClassroom } from '../coordinator/simulate/classroom';

const STEPS = 30;
/** Local mode: rounds measured (fewer: each is H global batches). */
const ROUNDS = 8;
let solo: { msPerSample: number; overheadMs: number } | null = null;
/** Local mode: ms of each further inner step, from the 1-peer local run. */
let innerStep: number | null = null;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function one(n: number, mode: string): Promise<void> {
  const [name, h] = mode.split(':');
  const H = Number(h ?? 0);
  const modeConfig = name === 'local' ? { mode: 'local' as const, localSteps: H } : name === 'async' ? { mode: 'async' as const } : { mode: 'sync' as const };
  const cfg = parseConfig({ dataset: 'mnist', model: 'mlp', batchSize: 128, steps: name === 'local' ? ROUNDS * H : STEPS, seed: 3, minPeers: n, host: '127.0.0.1', port: 0, peers: 0, progressSeconds: 3600, ...modeConfig });
  const p = await prepareRun(cfg);
  const c = await startCoordinator(p.setup, { datasetBytes: p.datasetBytes, log: () => undefined });
  const peers = Array.from({ length: n }, (_, i) => startNodePeer({ joinUrl: c.localJoinUrl, nickname: `node-${i + 1}` }));
  await c.done;
  const run = c.run;
  // The first steps carry compile and warm-up noise: the median of the rest.
  const measured = median(run.history.slice(name === 'local' ? 2 : 3).map((x) => x.ms + x.updateMs));
  const real = { ...run.ledger.counters };
  const costs = [...run.peers.values()].map((x) => x.cost);
  for (const s of peers) s.stop();
  await c.close();
  if (n === 1 && name === 'sync') solo = costs[0]!;
  const cost = solo ?? { msPerSample: median(costs.map((x) => x.msPerSample)), overheadMs: median(costs.map((x) => x.overheadMs)) };
  const a: Assumptions = { ...CLASSROOM, msPerSample: cost.msPerSample, overheadMs: cost.overheadMs, innerStepOverheadMs: innerStep ?? 0, spread: 1, bandwidthMbps: 20_000, latencyMs: 0.05, sharedCpu: true };
  const trainer = await Trainer.create(p.setup.model.topology, p.setup.model.specs, p.setup.dataset, p.setup.loss);
  let sim = await simulateClassroom(p, trainer, n, a, 2, 3);
  if (name === 'local' && n === 1 && innerStep === null && H > 1) {
    // The simulated round is linear in the inner-step cost: calibrate it on this 1-peer run, then simulate again.
    innerStep = Math.max(0, (measured - sim.stepMs) / (H - 1));
    a.innerStepOverheadMs = innerStep;
    console.log(`${mode}: each further inner step costs ${innerStep.toFixed(1)} ms on this machine's tfjs cpu (calibrated on the 1-peer run; used for 2+ peers)`);
    sim = await simulateClassroom(p, trainer, n, a, 2, 3);
  }
  trainer.dispose();
  console.log(`${mode} ${n} node peer(s): measured median ${name === 'local' ? 'round' : 'step'} ${measured.toFixed(1)} ms, simulated ${sim.stepMs.toFixed(1)} ms (cost model ${a.msPerSample.toFixed(3)} ms/sample + ${a.overheadMs.toFixed(1)} ms${name === 'local' ? ` + ${a.innerStepOverheadMs.toFixed(1)} ms per further inner step` : ''}), simulated/measured ${(sim.stepMs / measured).toFixed(2)}${n === 1 && name === 'local' ? ' (calibration run)' : ''}; reassigned shards measured ${real.reassigned}, simulated ${sim.ledger.reassigned}`);
}

const argv = process.argv.slice(2);
const at = argv.indexOf('--mode');
const mode = at >= 0 ? argv.splice(at, 2)[1]! : 'sync';
if (!/^(sync|async|local:\d+)$/.test(mode)) throw new Error(`--mode ${mode}: sync, async or local:H`);
const list = argv.map(Number).filter((x) => x > 0);
// The cost model comes from one peer alone in sync mode, as the simulator's defaults come from one measured tab.
if (mode !== 'sync') await one(1, 'sync');
for (const n of [...new Set([1, ...(list.length ? list : [2, 3, 4])])]) await one(n, mode);
process.exit(0);
