import type { NormalizationStats } from '../../shared/data/normalize';
import { fail } from '../../shared/errors';

/**
 * The dataset's normalisation as the first layer of an exported model, so a
 * user who loads it with plain tfjs feeds raw values (CSV values as written)
 * and gets the predictions tabtrain measured. It is a frozen Dense layer with
 * a diagonal kernel: x' = x * (1 / s) + (-m / s), exact for z-score
 * (m = mean, s = std) and min-max (m = min, s = max - min).
 */
export const NORMALIZE_LAYER = 'tabtrain_normalize';

type Json = Record<string, unknown>;

export interface NormalizeWeights {
  kernel: Float32Array;
  bias: Float32Array;
  width: number;
}

export function normalizeWeights(stats: NormalizationStats): NormalizeWeights {
  const [shift, scale] = stats.kind === 'zscore' ? [stats.mean, stats.std] : [stats.min, stats.max.map((hi, j) => hi - stats.min[j]! || 1)];
  const d = shift.length;
  const kernel = new Float32Array(d * d);
  const bias = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    kernel[j * d + j] = 1 / scale[j]!;
    bias[j] = -shift[j]! / scale[j]!;
  }
  return { kernel, bias, width: d };
}

function layersOf(topology: Json): Json[] {
  const config = topology.config as Json | undefined;
  const layers = config && Array.isArray(config.layers) ? (config.layers as Json[]) : null;
  if (topology.class_name !== 'Sequential' || !layers || layers.length === 0) {
    throw fail('MODEL_INVALID', 'a normalisation layer can only be prepended to a Sequential model; export without --normalize or use a preset');
  }
  return layers;
}

/** The topology with the normalisation layer in front (the input shape moves to it). */
export function withNormalizeLayer(topology: Json, width: number): Json {
  const copy = JSON.parse(JSON.stringify(topology)) as Json;
  const layers = layersOf(copy);
  const first = layers[0]!.config as Json;
  const inputShape = first.batch_input_shape;
  delete first.batch_input_shape;
  delete first.batchInputShape;
  layers.unshift({
    class_name: 'Dense',
    config: {
      name: NORMALIZE_LAYER,
      trainable: false,
      batch_input_shape: inputShape ?? [null, width],
      dtype: 'float32',
      units: width,
      activation: 'linear',
      use_bias: true,
      kernel_initializer: { class_name: 'Zeros', config: {} },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
  });
  return copy;
}

/** The topology without a leading normalisation layer, and whether there was one. */
export function withoutNormalizeLayer(topology: Json): { topology: Json; had: boolean } {
  if (topology.class_name !== 'Sequential') return { topology, had: false };
  const copy = JSON.parse(JSON.stringify(topology)) as Json;
  const layers = layersOf(copy);
  const first = layers[0]!.config as Json;
  if (first.name !== NORMALIZE_LAYER) return { topology, had: false };
  layers.shift();
  (layers[0]!.config as Json).batch_input_shape = first.batch_input_shape;
  return { topology: copy, had: true };
}
