/**
 * Cost of each aggregation rule per step over the pure modules: P peers
 * x N parameters (one shard each), add + reduce, median of R repetitions,
 * with its ratio to `mean` measured in the same run. Async rows: one
 * contribution per update (the rule judges it against the window of the
 * other peers' recent ones, at most 16). Prints the load average beside.
 *   nice -n 10 npx tsx scripts/aggregate-bench.ts
 */
import { loadavg } from 'node:os';
import { createAggregator } from '../coordinator/aggregate/create';
import { CenteredClipAggregator } from '../coordinator/aggregate/centeredClip';
import { AsyncWindowAggregator } from '../coordinator/aggregate/asyncWindow';

/** `clip~plain`: the adaptive tau without the momentum scores (the rule before them), side by side. */
const RULES = ['mean', 'clip', 'clip~plain', 'median', 'trimmed:1', 'krum:1'];
const REPS = 7;
const n = 100_000;
const out = new Float32Array(n);
const median = (t: number[]): number => t.sort((x, y) => x - y)[t.length >> 1]!;
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| mode, peers x params | ' + RULES.join(' | ') + ' |');
console.log('|---|' + RULES.map(() => '---:').join('|') + '|');
for (const peers of [5, 50]) {
  const grads = Array.from({ length: peers }, (_, p) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + p) * 0.01 * 10));
  for (const mode of ['sync', 'async'] as const) {
    const times = RULES.map((rule) => {
      const plain = (): CenteredClipAggregator => new CenteredClipAggregator(n, null, 0, false);
      const a = rule !== 'clip~plain' ? createAggregator(rule, n, mode) : mode === 'sync' ? plain() : new AsyncWindowAggregator(plain(), n);
      const t: number[] = [];
      // async: each update is one peer's contribution; first fill the window (one update per peer), then time REPS updates.
      if (mode === 'async') {
        for (let p = 0; p < Math.min(peers, 16); p++) {
          a.reset();
          a.add(`p${p}`, grads[p]!, 10);
          a.reduce(out);
        }
      }
      for (let r = 0; r < REPS + 1; r++) {
        const t0 = performance.now();
        a.reset();
        if (mode === 'sync') for (let p = 0; p < peers; p++) a.add(`p${p}`, grads[p]!, 10);
        else a.add(`p${r % peers}`, grads[r % peers]!, 10);
        a.reduce(out);
        if (r > 0) t.push(performance.now() - t0); // the first run warms the JIT and the pools
      }
      return median(t);
    });
    const cells = times.map((t, k) => (k === 0 ? `${t.toFixed(1)} ms` : `${t.toFixed(1)} ms (${(t / times[0]!).toFixed(0)}x)`));
    console.log(`| ${mode}, ${peers} x 100k | ${cells.join(' | ')} |`);
  }
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
