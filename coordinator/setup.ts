import { randomBytes } from 'node:crypto';
import { formatCompress, formatWeightsCodec, parseCompress, parseWeightsCodec, payloadBytes, weightsStepBytes } from '../shared/compress';
import { learningRate } from '../shared/config/parse';
import type { Config } from '../shared/config/schema';
import { datasetHash, encodeDataset } from '../shared/data/codec';
import { loadDatasetSpec } from './datasets/load';
import { loadModel } from './model/load';
import { chooseLoss } from './model/lossChoice';
import type { ModelDescription } from './model/describe';
import type { RunSetup } from './run/types';
import './tfjsNode';

/**
 * Everything before the first peer: load and split the data, encode it once
 * for the wire, build the model and its initial weights.
 */
export interface PreparedRun {
  setup: RunSetup;
  datasetBytes: Uint8Array;
}

export async function prepareRun(config: Config): Promise<PreparedRun> {
  const { dataset, normalization } = await loadDatasetSpec(config.dataset, {
    seed: config.seed,
    split: config.split,
    samples: config.samples,
    noise: config.noise,
    ...(config.label !== undefined ? { label: config.label } : {}),
    ...(config.testFile !== undefined ? { testFile: config.testFile } : {}),
    normalize: config.normalize,
    seqLen: config.seqLen,
    reconstruct: config.model === 'autoencoder',
  });
  const datasetBytes = encodeDataset(dataset);
  const hash = await datasetHash(datasetBytes);
  const model: ModelDescription = await loadModel(config, dataset.meta);
  const loss = chooseLoss(config, dataset.meta);
  return {
    datasetBytes,
    setup: {
      runId: randomBytes(6).toString('hex'),
      config,
      dataset,
      datasetFile: { url: `/data/${hash}`, hash, bytes: datasetBytes.byteLength },
      model,
      loss,
      lr: learningRate(config),
      normalization,
    },
  };
}

/** The figures a person wants before a run starts, nanoGPT-style. */
export function describeRun(s: RunSetup, stepsPerEpoch: number, totalSteps: number): string[] {
  const m = s.dataset.meta;
  const c = s.config;
  const params = s.model.trainableParams;
  const weights = parseWeightsCodec(c.weightsCodec);
  const grads = parseCompress(c.compress);
  const weightsNote = weights.name === 'delta' ? ', full fp32 to a peer that joins or falls behind' : '';
  const down = `${fmtBytes(weightsStepBytes(weights, params + s.model.stateParams, s.model.specs.length))} weights down (${weights.name === 'none' ? 'fp32' : formatWeightsCodec(weights)}${weightsNote})`;
  const up = `${fmtBytes(payloadBytes(grads, params, s.model.specs.filter((w) => w.trainable).length))} gradient up (${grads.name === 'none' ? 'fp32' : formatCompress(grads)})`;
  const lines = [
    `dataset ${m.name}: ${m.splits.train} train / ${m.splits.val} val / ${m.splits.test} test, input [${m.inputShape}], ${m.task}${m.task === 'classification' ? ` (${m.numClasses} classes)` : ''}`,
    ...(m.sources ? [`  train from ${m.sources.train}; val from ${m.sources.val}; test from ${m.sources.test}`] : []),
    `model ${c.model}: ${params.toLocaleString('en')} parameters${s.model.stateParams ? ` + ${s.model.stateParams} state` : ''}`,
    ...s.model.layers.map((l) => `  ${l.name.padEnd(12)} ${l.className.padEnd(20)} ${l.outputShape.padEnd(18)} ${l.params.toLocaleString('en')}`),
    `optimizer ${c.optimizer} lr ${s.lr} (${c.schedule}), loss ${s.loss}, mode ${c.mode}`,
    ...(c.mode === 'local'
      ? [`mode local: ${c.localSteps} inner steps (${c.optimizer} lr ${s.lr}, in the peers) per round, outer ${c.outerOptimizer} lr ${c.outerLr}${c.outerOptimizer === 'momentum' || c.outerOptimizer === 'nesterov' ? ` momentum ${c.outerMomentum}` : ''} over the mean weight change`]
      : []),
    `global batch ${c.batchSize}, ${stepsPerEpoch} steps/epoch, ${totalSteps} steps in all, seed ${c.seed}`,
    `bytes per step per peer: ${down} + ${up}`,
  ];
  return lines;
}

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

