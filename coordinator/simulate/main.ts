import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tfjsNode';
import { Trainer } from '../../client/trainer/trainer';
import { parseConfig } from '../../shared/config/parse';
import type { ConfigInput } from '../../shared/config/schema';
import { fail } from '../../shared/errors';
import { prepareRun } from '../setup';
import { CLASSROOM, WIRED, describeAssumptions, type Assumptions } from './assumptions';
import { simulateClassroom, type ClassroomResult } from './classroom';
import { simulationCharts, summaryLines } from './report';
import { boundLines } from './bound';
export { bestN, timeTo } from './report';
import type { SimulateOptions, SimulationRow } from './types';
export type { SimulateOptions, SimulationRow } from './types';

/**
 * `tabtrain simulate`: time to a target validation accuracy against the
 * number of laptops, for sync, async and local steps, on a modelled
 * classroom link (assumptions.ts), with the real coordinator and trainer.
 */
export const SIMULATE_HELP = `tabtrain simulate [options]   (every figure it prints is simulated)
  --laptops 1,2,4,8,16,32     class sizes to simulate
  --modes sync,async,local:4,local:16   training modes (local:H = local steps with H inner steps)
  --target 0.95               validation accuracy to reach
  --max-epochs 8              give up after this many epochs
  --bandwidth 30 --latency 5  the shared link, Mbit/s and ms (classroom Wi-Fi)
  --wired                     a gigabit LAN instead (${WIRED.bandwidthMbps} Mbit/s, ${WIRED.latencyMs} ms)
  --ms-per-sample 0.25 --overhead 20 --spread 2   a laptop's compute (median) and the slow/fast ratio
  --churn 0 --sleep 30        sleeps per laptop per hour, and their length in s
  --inner-step-overhead 18    fixed ms of each further inner step of a local task
  --hidden 128 --batch-size 128 --optimizer adam --lr 0.001 --seed 1   the job (MNIST MLP; --optimizer/--lr are the inner ones in local mode)
  --outer-optimizer nesterov --outer-lr 0.7 --outer-momentum 0.9   local mode's outer step
  --compress none|fp16|int8   codec of what goes up (gradients; a local round's weight change), with error feedback
  --weights-codec none|fp16|delta|delta:fp16   codec of the weights down (evaluation always gets float32)
  --backend wasm|cpu          tfjs backend the simulator's trainer core computes on (wasm: ~5x faster; virtual time is the same)
  --verbose                   print every validation pass
  --replot                    only redraw the plots and summary from --out's simulate.json (a grid stopped part-way)
  --out bench/results/simulate  where the SVG and JSON go`;


export function parseSimulateArgs(argv: readonly string[]): SimulateOptions {
  const a: Assumptions = { ...CLASSROOM };
  const o: SimulateOptions = { laptops: [1, 2, 4, 8, 16, 32], modes: ['sync', 'async', 'local:4', 'local:16'], target: 0.95, maxEpochs: 8, assumptions: a, job: {}, out: 'bench/results/simulate', verbose: false, backend: 'wasm' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--wired') {
      Object.assign(a, WIRED);
      continue;
    }
    if (flag === '--verbose') {
      o.verbose = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw fail('CONFIG_INVALID', `simulate: ${flag} needs a value (see tabtrain simulate --help)`);
    const num = (): number => {
      const x = Number(v);
      if (!Number.isFinite(x) || x < 0) throw fail('CONFIG_INVALID', `simulate: ${flag} ${v} is not a non-negative number`);
      return x;
    };
    switch (flag) {
      case '--laptops': o.laptops = v.split(',').map(Number).filter((x) => Number.isInteger(x) && x > 0); break;
      case '--modes': o.modes = v.split(','); break;
      case '--target': o.target = num(); break;
      case '--max-epochs': o.maxEpochs = num(); break;
      case '--bandwidth': a.bandwidthMbps = num(); break;
      case '--latency': a.latencyMs = num(); break;
      case '--ms-per-sample': a.msPerSample = num(); break;
      case '--overhead': a.overheadMs = num(); break;
      case '--spread': a.spread = Math.max(1, num()); break;
      case '--churn': a.churnPerHour = num(); break;
      case '--sleep': a.sleepSeconds = num(); break;
      case '--hidden': o.job.hidden = v.split(',').map(Number); break;
      case '--batch-size': o.job.batchSize = num(); break;
      case '--optimizer': o.job.optimizer = v as ConfigInput['optimizer']; break;
      case '--lr': o.job.lr = num(); break;
      case '--seed': o.job.seed = num(); break;
      case '--inner-step-overhead': a.innerStepOverheadMs = num(); break;
      case '--outer-optimizer': o.job.outerOptimizer = v as ConfigInput['outerOptimizer']; break;
      case '--outer-lr': o.job.outerLr = num(); break;
      case '--outer-momentum': o.job.outerMomentum = num(); break;
      case '--compress': o.job.compress = v; break;
      case '--weights-codec': o.job.weightsCodec = v; break;
      case '--backend':
        if (v !== 'wasm' && v !== 'cpu') throw fail('CONFIG_INVALID', `simulate: --backend ${v} is not wasm or cpu`);
        o.backend = v;
        break;
      case '--out': o.out = v; break;
      default: throw fail('CONFIG_INVALID', `simulate: unknown option ${flag} (see tabtrain simulate --help)`);
    }
  }
  for (const m of o.modes) if (!/^(sync|async|local:\d+)$/.test(m)) throw fail('CONFIG_INVALID', `simulate: mode ${m} is not sync, async or local:H`);
  return o;
}

/** The run's configuration for one mode ("local:16" = --mode local --local-steps 16). */
export function jobFor(mode: string, o: SimulateOptions): ConfigInput {
  const [name, h] = mode.split(':');
  return { dataset: 'mnist', model: 'mlp', epochs: o.maxEpochs, minPeers: 1, host: '127.0.0.1', peers: 0, ...o.job, mode: name as 'sync' | 'async' | 'local', ...(h ? { localSteps: Number(h) } : {}) };
}


export async function runSimulation(o: SimulateOptions, print: (line: string) => void = console.log, onRow?: (rows: readonly SimulationRow[]) => void): Promise<SimulationRow[]> {
  const rows: SimulationRow[] = [];
  let batch = 0;
  for (const l of describeAssumptions(o.assumptions)) print(l);
  for (const mode of o.modes) {
    const p = await prepareRun(parseConfig(jobFor(mode, o)));
    const s = p.setup;
    batch = s.config.batchSize;
    const trainer = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss);
    if (mode === o.modes[0]) print(`simulated job: MNIST MLP ${s.model.trainableParams.toLocaleString('en')} parameters, ${s.dataset.meta.splits.train} training samples, batch ${s.config.batchSize}, ${s.config.optimizer} lr ${s.lr}, target val acc ${o.target} (checked after each epoch's validation pass), at most ${o.maxEpochs} epochs; up: ${s.config.compress === 'none' ? 'float32' : s.config.compress}, weights down: ${s.config.weightsCodec === 'none' ? 'float32' : s.config.weightsCodec} (evaluation float32); local mode: inner ${s.config.optimizer} lr ${s.lr} in the laptops, outer ${s.config.outerOptimizer} lr ${s.config.outerLr} momentum ${s.config.outerMomentum}; a local round stops at the epoch's end (${Math.ceil(s.dataset.meta.splits.train / s.config.batchSize)} global batches)`);
    for (const n of o.laptops) {
      const r = await simulateClassroom(p, trainer, n, o.assumptions, o.target, s.config.seed, o.verbose ? print : undefined);
      rows.push({ mode, ...r });
      onRow?.(rows);
      print(`simulated ${mode.padEnd(9)} ${String(n).padStart(2)} laptops: ${r.timeToTarget === null ? `not reached (best ${r.bestValAccuracy.toFixed(3)})` : `val acc ${o.target} at ${r.timeToTarget.toFixed(1)} s`}, ${r.steps} batches, ${(r.bytes / 1e6).toFixed(1)} MB through the coordinator (${(r.bytesPerSample / 1e3).toFixed(1)} kB/sample), median update ${r.stepMs.toFixed(0)} ms  [${r.seconds.toFixed(0)} s simulated]`);
    }
    trainer.dispose();
  }
  for (const line of summaryLines(rows, o)) print(line);
  for (const line of boundLines(o.assumptions, o.modes, o.laptops, batch)) print(line);
  return rows;
}


/** The tfjs backend of the simulator's own trainer core: wasm when it loads (about 5x the pure-JS cpu backend on the MLP), else cpu. */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm').catch(() => false)) return;
    console.warn('simulate: the wasm backend did not load; computing on the cpu backend (slower, same simulated times)');
  }
  await tf.setBackend('cpu');
}

export async function simulateCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SIMULATE_HELP);
    return 0;
  }
  const replot = argv.includes('--replot');
  const o = parseSimulateArgs(argv.filter((x) => x !== '--replot'));
  if (replot) {
    const saved = JSON.parse(readFileSync(join(o.out, 'simulate.json'), 'utf8')) as { rows: SimulationRow[]; target: number };
    const modes = [...new Set(saved.rows.map((r) => r.mode))];
    const laptops = [...new Set(saved.rows.map((r) => r.laptops))].sort((x, y) => x - y);
    const shown = { ...o, modes, laptops, target: argv.includes('--target') ? o.target : saved.target };
    for (const line of summaryLines(saved.rows, shown)) console.log(line);
    for (const [name, svg] of Object.entries(simulationCharts(saved.rows, shown))) writeFileSync(join(o.out, name), svg);
    return 0;
  }
  await useBackend(o.backend);
  mkdirSync(o.out, { recursive: true });
  // Written after every row, so a long grid stopped part-way keeps what it simulated.
  const save = (rows: readonly SimulationRow[]): void =>
    writeFileSync(join(o.out, 'simulate.json'), JSON.stringify({ simulated: true, command: `tabtrain simulate ${argv.join(' ')}`, assumptions: o.assumptions, target: o.target, maxEpochs: o.maxEpochs, job: o.job, rows }, null, 2));
  const rows = await runSimulation(o, console.log, save);
  save(rows);
  const charts = simulationCharts(rows, o);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(o.out, name), svg);
  console.log(`simulated results: ${Object.keys(charts).map((n) => join(o.out, n)).join(', ')}, ${join(o.out, 'simulate.json')}`);
  return 0;
}
