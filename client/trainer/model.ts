import * as tf from '@tensorflow/tfjs';
import type { WeightSpec } from '../../shared/protocol/schemas';

/**
 * Builds the tfjs model a coordinator describes, and binds its variables to
 * the coordinator's flat layout: trainable weights in `model.trainableWeights`
 * order, then non-trainable ones (batch-norm moving statistics) in
 * `model.nonTrainableWeights` order. Layouts are matched by order and shape,
 * not by name: tfjs renames variables when one process builds several models.
 */
export interface BoundModel {
  model: tf.LayersModel;
  trainable: tf.Variable[];
  state: tf.Variable[];
  trainableSize: number;
  stateSize: number;
  /** Batch statistics depend on every row, so such a model's batches are never padded. */
  hasBatchNorm: boolean;
}

export async function buildModel(topology: Record<string, unknown>, specs: readonly WeightSpec[]): Promise<BoundModel> {
  // The topology was validated as a JSON object at the boundary; tfjs checks the rest.
  const model = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] } as tf.io.ModelJSON);
  const trainable = model.trainableWeights.map((w) => asVariable(w.read()));
  const state = model.nonTrainableWeights.map((w) => asVariable(w.read()));
  const want = specs.filter((s) => s.trainable);
  const wantState = specs.filter((s) => !s.trainable);
  checkLayout('trainable', trainable, want);
  checkLayout('non-trainable', state, wantState);
  return {
    model,
    trainable,
    state,
    trainableSize: sizeOf(trainable),
    stateSize: sizeOf(state),
    hasBatchNorm: model.layers.some((l) => l.getClassName() === 'BatchNormalization'),
  };
}

function asVariable(t: tf.Tensor): tf.Variable {
  if (!(t instanceof tf.Variable)) throw new Error('model weight is not a tf.Variable');
  return t;
}

function sizeOf(vars: tf.Variable[]): number {
  return vars.reduce((n, v) => n + v.size, 0);
}

function checkLayout(what: string, vars: tf.Variable[], specs: readonly WeightSpec[]): void {
  if (vars.length !== specs.length) {
    throw new Error(`model has ${vars.length} ${what} weights, the coordinator expects ${specs.length}`);
  }
  vars.forEach((v, i) => {
    const s = specs[i]!;
    if (v.shape.join('x') !== s.shape.join('x')) {
      throw new Error(`${what} weight ${i} (${s.name}) has shape [${v.shape}], the coordinator expects [${s.shape}]`);
    }
  });
}

/** Writes a flat Float32Array into variables, in order. */
export function assignFlat(vars: tf.Variable[], flat: Float32Array): void {
  let at = 0;
  for (const v of vars) {
    const n = v.size;
    tf.tidy(() => v.assign(tf.tensor(flat.subarray(at, at + n), v.shape, 'float32')));
    at += n;
  }
  if (at !== flat.length) throw new Error(`flat weights have ${flat.length} values, the model needs ${at}`);
}

/** Reads variables into one flat Float32Array, in order. */
export async function readFlat(vars: tf.Variable[]): Promise<Float32Array> {
  if (vars.length === 0) return new Float32Array(0);
  const flat = tf.tidy(() => tf.concat(vars.map((v) => v.reshape([-1]))));
  try {
    return (await flat.data()) as Float32Array;
  } finally {
    flat.dispose();
  }
}
