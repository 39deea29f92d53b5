import * as tf from '@tensorflow/tfjs';
import type { OptimizerState } from '../../shared/optim/types';
import type { WeightSpec } from '../../shared/protocol/schemas';

/**
 * What the coordinator keeps of a model: the topology the tabs rebuild, the
 * flat weight layout (trainable first, then non-trainable state), and the
 * initial values in that layout.
 */
export interface ModelDescription {
  topology: Record<string, unknown>;
  specs: WeightSpec[];
  trainableParams: number;
  stateParams: number;
  /** Initial weights: trainable values then state values. */
  initial: Float32Array;
  /** Per layer, for the start-up printout: name and parameter count. */
  layers: { name: string; className: string; params: number; outputShape: string }[];
  /** 1 for kernels (penalised by L1/L2), 0 for biases and state, over the trainable layout. */
  penaltyMask: Uint8Array;
  /** Optimizer state saved with an export that `--init-from` started from, if any. */
  optimizerState?: OptimizerState;
  /** A character model's vocabulary (token id -> character, built on the training split) and window length; the export stores them. */
  text?: TextModelInfo;
}

export interface TextModelInfo {
  vocab: string[];
  seqLen: number;
}

export function describeModel(model: tf.LayersModel): ModelDescription {
  const topology = model.toJSON(null, false);
  if (typeof topology === 'string') throw new Error('model.toJSON returned a string');
  const trainable = model.trainableWeights;
  const state = model.nonTrainableWeights;
  const specs: WeightSpec[] = [
    ...trainable.map((w) => ({ name: w.originalName, shape: w.shape.map((d) => d ?? 0), trainable: true })),
    ...state.map((w) => ({ name: w.originalName, shape: w.shape.map((d) => d ?? 0), trainable: false })),
  ];
  const count = (ws: tf.LayerVariable[]): number => ws.reduce((n, w) => n + w.shape.reduce((a: number, d) => a * (d ?? 0), 1), 0);
  const trainableParams = count(trainable);
  const stateParams = count(state);
  const initial = new Float32Array(trainableParams + stateParams);
  let at = 0;
  for (const w of [...trainable, ...state]) {
    const v = w.read().dataSync();
    initial.set(v, at);
    at += v.length;
  }
  const penaltyMask = new Uint8Array(trainableParams);
  at = 0;
  for (const w of trainable) {
    const n = count([w]);
    if (/kernel|embeddings/.test(w.originalName)) penaltyMask.fill(1, at, at + n);
    at += n;
  }
  const layers = model.layers.map((l) => ({
    name: l.name,
    className: l.getClassName(),
    params: l.countParams(),
    outputShape: JSON.stringify(l.outputShape),
  }));
  return { topology: topology as Record<string, unknown>, specs, trainableParams, stateParams, initial, layers, penaltyMask };
}
