/**
 * Issue 11's throughput goal, with a Node peer standing in for the tab (tfjs
 * cpu backend): samples/s of one peer through tabtrain in --mode local
 * (H = 16) against the same model trained by plain tfjs in the same process
 * (optimizer.minimize over the same batches). Run: npx tsx bench/localRatio.ts [steps]
 */
import * as tf from '@tensorflow/tfjs';
import '../coordinator/tfjsNode';
import { startNodePeer } from '../client/node/nodePeer';
import { buildModel } from '../client/trainer/model';
import { makeBatch } from '../client/trainer/batch';
import { lossSum } from '../client/trainer/loss';
import { parseConfig } from '../shared/config/parse';
import { prepareRun } from '../coordinator/setup';
import { startCoordinator } from '../coordinator/server/server';
import { EpochSampler } from '../coordinator/round/sampler';

const steps = Number(process.argv[2] ?? 64);
const cfg = parseConfig({ dataset: 'mnist', model: 'mlp', batchSize: 128, steps, seed: 3, mode: 'local', localSteps: 16, minPeers: 1, host: '127.0.0.1', port: 0, peers: 0, progressSeconds: 3600 });
const p = await prepareRun(cfg);

// Plain tfjs: the same model, batches and optimizer, no coordinator.
const bound = await buildModel(p.setup.model.topology, p.setup.model.specs);
const opt = tf.train.adam(0.001);
const sampler = new EpochSampler(3, p.setup.dataset.meta.splits.train, 128);
const units = p.setup.dataset.meta.numClasses;
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  const { indices } = sampler.next();
  const { x, y } = makeBatch(p.setup.dataset, indices, units);
  const l = opt.minimize(() => tf.div(lossSum(p.setup.loss, y, bound.model.apply(x, { training: true }) as tf.Tensor), indices.length) as tf.Scalar, true);
  await l!.data();
  l!.dispose();
  x.dispose();
  y.dispose();
}
const plain = (steps * 128) / ((performance.now() - t0) / 1000);

const c = await startCoordinator(p.setup, { datasetBytes: p.datasetBytes, log: () => undefined });
const peer = startNodePeer({ joinUrl: c.localJoinUrl, nickname: 'node-1' });
await c.done;
const through = c.run.samplesPerSec();
peer.stop();
await c.close();
console.log(`plain tfjs ${plain.toFixed(0)} samples/s; tabtrain --mode local --local-steps 16, 1 node peer ${through.toFixed(0)} samples/s (includes the final evaluation passes); ratio ${(through / plain).toFixed(2)}`);
process.exit(0);
