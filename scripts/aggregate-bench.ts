/**
 * Cost of each aggregation rule per step over the pure modules: P peers
 * x N parameters (one shard each), add + reduce, median of R repetitions.
 *   npx tsx scripts/aggregate-bench.ts
 */
import { createAggregator } from '../coordinator/aggregate/create';

const RULES = ['mean', 'clip', 'median', 'trimmed:1', 'krum:1'];
const REPS = 7;
const out = new Float32Array(100_000);
console.log('| peers x params | ' + RULES.join(' | ') + ' |');
console.log('|---|' + RULES.map(() => '---:').join('|') + '|');
for (const peers of [5, 50]) {
  const n = 100_000;
  const grads = Array.from({ length: peers }, (_, p) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + p) * 0.01 * 10));
  const cells: string[] = [];
  for (const rule of RULES) {
    const a = createAggregator(rule, n);
    const times: number[] = [];
    for (let r = 0; r < REPS + 1; r++) {
      const t0 = performance.now();
      a.reset();
      for (let p = 0; p < peers; p++) a.add(`p${p}`, grads[p]!, 10);
      a.reduce(out);
      if (r > 0) times.push(performance.now() - t0); // the first run warms the JIT and the pools
    }
    times.sort((x, y) => x - y);
    cells.push(`${times[REPS >> 1]!.toFixed(1)} ms`);
  }
  console.log(`| ${peers} x 100k | ${cells.join(' | ')} |`);
}
