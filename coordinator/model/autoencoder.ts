import * as tf from '@tensorflow/tfjs';
import type { DatasetMeta } from '../../shared/data/dataset';
import { fail } from '../../shared/errors';
import { initializer } from './presets';

/**
 * A dense autoencoder: input -> hidden widths -> a linear code of
 * `bottleneck` units (the layer named `code`) -> the hidden widths mirrored
 * -> every input value again, through a sigmoid (pixels are in [0, 1]).
 * The code layer's outputs are what the dashboard scatters for
 * `--bottleneck 2`.
 */
export interface AutoencoderOptions {
  hidden: number[];
  bottleneck: number;
  seed: number;
}

export const CODE_LAYER = 'code';

export function buildAutoencoder(meta: DatasetMeta, o: AutoencoderOptions): tf.Sequential {
  if (meta.featureType !== 'u8') throw fail('CONFIG_INVALID', `model: the autoencoder reconstructs pixel values in [0, 1]; dataset ${meta.name} has f32 features (use mnist or idx:DIR)`);
  const size = meta.inputShape.reduce((a, b) => a * b, 1);
  let layer = 0;
  const init = (name: 'he_uniform' | 'glorot_uniform'): ReturnType<typeof initializer> => initializer(name, o.seed + 1000 * ++layer);
  const model = tf.sequential({ name: 'tabtrain_autoencoder' });
  model.add(tf.layers.flatten({ name: 'flatten', inputShape: meta.inputShape }));
  o.hidden.forEach((units, i) => model.add(tf.layers.dense({ name: `enc${i + 1}`, units, activation: 'relu', kernelInitializer: init('he_uniform') })));
  model.add(tf.layers.dense({ name: CODE_LAYER, units: o.bottleneck, activation: 'linear', kernelInitializer: init('glorot_uniform') }));
  [...o.hidden].reverse().forEach((units, i) => model.add(tf.layers.dense({ name: `dec${i + 1}`, units, activation: 'relu', kernelInitializer: init('he_uniform') })));
  model.add(tf.layers.dense({ name: 'output', units: size, activation: 'sigmoid', kernelInitializer: init('glorot_uniform') }));
  return model;
}
