import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NormalizationStats } from '../../shared/data/normalize';
import type { OptimizerState } from '../../shared/optim/types';
import type { ModelDescription } from './describe';
import { writeOptimizerState } from './optimizerFile';
import { normalizeWeights, withNormalizeLayer, type NormalizeWeights } from './normalizeLayer';

/**
 * Writes weights in the tfjs layers format (model.json + weights.bin), which
 * `tf.loadLayersModel` reads back: the topology the tabs trained, with the
 * coordinator's final weights. The exported model is self-contained: when the
 * run normalised its features, the same transform is its first layer.
 */
export async function exportModel(
  dir: string,
  d: ModelDescription,
  weights: Float32Array,
  normalization: NormalizationStats | null = null,
  optimizer: OptimizerState | null = null,
): Promise<void> {
  const model = await buildWithWeights(d, weights, normalization);
  try {
    mkdirSync(dir, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        const json = {
          modelTopology: a.modelTopology,
          format: 'layers-model',
          generatedBy: 'tabtrain',
          convertedBy: null,
          weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
          // A character model's vocabulary (token id -> character) and window: plain tfjs reads it back with model.getUserDefinedMetadata().
          ...(d.text ? { userDefinedMetadata: { tabtrain: { vocab: d.text.vocab, seqLen: d.text.seqLen } } } : {}),
        };
        writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
        const data = a.weightData;
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data ?? []));
        writeFileSync(join(dir, 'weights.bin'), bytes);
        if (optimizer) writeOptimizerState(dir, optimizer);
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
  } finally {
    model.dispose();
  }
}

/** A tfjs model holding the coordinator's flat weights (trainable, then state), optionally behind the normalisation layer. */
export async function buildWithWeights(d: ModelDescription, weights: Float32Array, normalization: NormalizationStats | null = null): Promise<tf.LayersModel> {
  const norm = normalization ? normalizeWeights(normalization) : null;
  const topology = norm ? withNormalizeLayer(d.topology, norm.width) : d.topology;
  const model = await tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
  assignWeights(model, weights, norm);
  return model;
}

/**
 * Puts the coordinator's flat weights (trainable in order, then state) into a
 * model built from the run's topology: views that draw every new version
 * build the model once (a char model's orthogonal initialiser is slow) and
 * assign each version's weights.
 */
export function assignWeights(model: tf.LayersModel, weights: Float32Array, norm: NormalizeWeights | null = null): void {
  // Our layout covers the trained layers' weights: trainable in order, then state in order.
  const trained = model.layers.filter((l) => !norm || l !== model.layers[0]);
  const trainable = trained.flatMap((l) => l.trainableWeights);
  const state = trained.flatMap((l) => l.nonTrainableWeights);
  const values = new Map<tf.LayerVariable, tf.Tensor>();
  let at = 0;
  for (const v of [...trainable, ...state]) {
    const n = v.shape.reduce((a: number, x) => a * (x ?? 0), 1);
    values.set(v, tf.tensor(weights.subarray(at, at + n), v.shape.map((x) => x ?? 0)));
    at += n;
  }
  if (at !== weights.length) throw new Error(`the model has ${at} weights, the run has ${weights.length}`);
  if (norm) {
    const [k, b] = model.layers[0]!.weights;
    values.set(k!, tf.tensor2d(norm.kernel, [norm.width, norm.width]));
    values.set(b!, tf.tensor1d(norm.bias));
  }
  // setWeights takes model.weights order.
  model.setWeights(model.weights.map((w) => values.get(w)!));
  values.forEach((t) => t.dispose());
}
