/**
 * How far honest backends' gradients differ on the same shard and weights:
 * the tabs' own Trainer on tfjs cpu and on tfjs wasm (both under Node),
 * for the quick MNIST MLP and logistic regression, over shards of 50 (wasm
 * has no conv backprop kernel in tfjs 4.22, so no CNN here). The spot
 * checks' tolerance (coordinator/aggregate/spotCheck.ts) is set from this.
 *   npx tsx scripts/backend-diff.ts
 */
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Trainer } from '../client/trainer/trainer';
import { relativeDistance } from '../coordinator/aggregate/spotCheck';
import { prepareRun } from '../coordinator/setup';
import { parseConfig } from '../shared/config/parse';

const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');

for (const model of [{ model: 'mlp', hidden: [32] }, { model: 'logreg' }]) {
  const p = await prepareRun(parseConfig({ dataset: 'mnist', ...model, peers: 0 }));
  const s = p.setup;
  const grads: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    await tf.ready();
    const t = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss);
    t.setWeights(1, s.model.initial);
    grads[backend] = [];
    for (let k = 0; k < 5; k++) {
      const idx = Uint32Array.from({ length: 50 }, (_, i) => k * 50 + i);
      grads[backend]!.push(Float32Array.from((await t.gradient(idx)).grad));
    }
    t.dispose();
  }
  const d = grads.cpu!.map((g, k) => relativeDistance(g, grads.wasm![k]!));
  console.log(`${model.model}: cpu vs wasm relative gradient difference per shard: ${d.map((x) => x.toExponential(2)).join(', ')} (max ${Math.max(...d).toExponential(2)})`);
}
