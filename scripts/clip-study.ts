/**
 * In-process study of a robust rule under one attacker (no sockets): P peers
 * each compute the real gradient of an equal share of every global batch
 * (tfjs cpu, the node peers' trainer), the attacker's is turned bad as
 * `tabtrain peer --attack` does, the rule aggregates, adam applies. Prints
 * the final test accuracy per (rule, attack, seed). Fast enough to compare
 * variants of a rule over several seeds; the real-fleet figures come from
 * scripts/attack-table.ts.
 *   npx tsx scripts/clip-study.ts [--rules clip,mean] [--attacks none,scale:-100] [--seeds 3,4,5] [--steps 320] [--peers 5] [--share 0.3]
 */
import '../coordinator/tfjsNode';
import { Trainer } from '../client/trainer/trainer';
import { GradientAttack, parseAttack } from '../client/node/attack';
import { createAggregator } from '../coordinator/aggregate/create';
import { CenteredClipAggregator } from '../coordinator/aggregate/centeredClip';
import { AsyncWindowAggregator } from '../coordinator/aggregate/asyncWindow';
import type { Aggregator } from '../coordinator/aggregate/aggregator';
import { EpochSampler } from '../coordinator/round/sampler';
import { optimizerConfig } from '../coordinator/run/update';
import { prepareRun } from '../coordinator/setup';
import { parseConfig } from '../shared/config/parse';
import { splitRange } from '../shared/data/dataset';
import { createOptimizer } from '../shared/optim';
import { QUICK } from '../tests/security/fleet';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const rules = arg('rules', 'mean,clip').split(',');
const attacks = arg('attacks', 'none,scale:-100').split(',');
const seeds = arg('seeds', '3,4,5').split(',').map(Number);
const steps = Number(arg('steps', '320'));
const peers = Number(arg('peers', '5'));
/** sync: the last peer's (the attacker's) share of each batch; 0 = equal shares. */
const share = Number(arg('share', '0'));
/** Shard boundaries of a batch of `len` (sync): equal, or the attacker's share last and the rest equal. */
function shardCuts(len: number): number[] {
  const bad = share > 0 ? Math.round(share * len) : Math.ceil(len / peers);
  const per = share > 0 ? Math.ceil((len - bad) / (peers - 1)) : bad;
  return [...Array(peers + 1).keys()].map((k) => (k === peers ? len : Math.min(len, k * per)));
}
/** async: each step one peer (in turn) computes the whole batch on the current weights, and the rule gets that one contribution. */
const mode = arg('mode', 'sync');

for (const seed of seeds) {
  const p = await prepareRun(parseConfig({ port: 0, peers: 0, ...QUICK, steps, seed }));
  const s = p.setup;
  const trainer = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss);
  const test = splitRange(s.dataset.meta, 'test');
  const testIdx = Uint32Array.from({ length: test.end - test.start }, (_, k) => test.start + k);
  for (const attack of attacks) {
    for (const rule of rules) {
      const weights = Float32Array.from(s.model.initial);
      const n = s.model.trainableParams;
      const params = weights.subarray(0, n);
      const opt = createOptimizer(optimizerConfig(s.config), n);
      const sampler = new EpochSampler(s.config.seed, s.dataset.meta.splits.train, s.config.batchSize);
      const oracle = rule === 'oracle';
      const agg = makeRule(oracle ? 'mean' : rule, n);
      const bad = attack === 'none' ? null : new GradientAttack(parseAttack(attack));
      const out = new Float32Array(n);
      let flaggedHonest = 0;
      for (let step = 0; step < steps; step++) {
        trainer.setWeights(step, weights);
        const { indices } = sampler.next();
        agg.reset();
        const cuts = shardCuts(indices.length);
        for (let k = 0; k < peers; k++) {
          if (mode === 'async' && k !== step % peers) continue;
          const shard = mode === 'async' ? indices : indices.subarray(cuts[k]!, cuts[k + 1]!);
          if (shard.length === 0) continue;
          const g = await trainer.gradient(shard);
          const sum = Float32Array.from(g.grad.subarray(0, n));
          if (bad && k === peers - 1) bad.apply(sum, g.count);
          if (!(oracle && bad && k === peers - 1)) agg.add(`p${k}`, sum, g.count);
        }
        const r = agg.reduce(out);
        flaggedHonest += r.flagged.filter((id) => id !== `p${peers - 1}`).length;
        opt.step(params, out, s.lr);
      }
      trainer.setWeights(steps, weights);
      const e = await trainer.evaluate(testIdx);
      let right = 0;
      for (let c = 0; c < e.classes; c++) right += e.confusion[c * e.classes + c]!;
      console.log(`seed ${seed} ${mode} ${attack} x ${rule}: test accuracy ${(right / e.count).toFixed(4)} (honest flagged ${(flaggedHonest / steps).toFixed(2)}/step)`);
    }
  }
  trainer.dispose();
}

/** `winclip`: a rule inside async's window; `clip~plain`: adaptive tau without the momentum scores; `clip~b0.9`: the paper's worker momentum as the update. */
function makeRule(rule: string, n: number): Aggregator {
  if (rule.startsWith('win')) return new AsyncWindowAggregator(makeRule(rule.slice(3), n), n);
  if (rule === 'clip~plain') return new CenteredClipAggregator(n, null, 0, false);
  if (rule.startsWith('clip~r')) return new CenteredClipAggregator(n, null, 0, true, Number(rule.slice(6)));
  if (rule.startsWith('clip~b')) return new CenteredClipAggregator(n, null, Number(rule.slice(6)));
  return createAggregator(rule, n, mode === 'async' ? 'async' : 'sync');
}
