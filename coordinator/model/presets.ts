import * as tf from '@tensorflow/tfjs';
import { fail } from '../../shared/errors';
import type { Initializer } from '@tensorflow/tfjs-layers/dist/initializers';
import type { DatasetMeta } from '../../shared/data/dataset';

/**
 * Model presets, built with tfjs-layers so the topology JSON the tabs receive
 * is exactly what `tf.loadLayersModel` reads back from an export. Layers get
 * stable names and seeded initialisers: a run is reproducible from its seed.
 */
export interface ModelOptions {
  preset: 'logreg' | 'mlp' | 'cnn';
  hidden?: number[];
  activation: 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'elu';
  initializer?: 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal' | 'lecun_normal' | 'uniform' | 'constant';
  dropout: number;
  batchNorm: boolean;
  seed: number;
}

/** Output units and activation follow the task: softmax for classes, sigmoid for two, linear for regression. */
export function outputHead(meta: DatasetMeta): { units: number; activation: 'softmax' | 'sigmoid' | 'linear' } {
  if (meta.task === 'regression') return { units: meta.numClasses, activation: 'linear' };
  if (meta.numClasses === 2) return { units: 1, activation: 'sigmoid' };
  return { units: meta.numClasses, activation: 'softmax' };
}

export function buildPreset(meta: DatasetMeta, o: ModelOptions): tf.Sequential {
  let layer = 0;
  const init = (fanKind: 'hidden' | 'out'): Initializer =>
    initializer(o.initializer ?? (fanKind === 'hidden' && o.activation === 'relu' ? 'he_uniform' : 'glorot_uniform'), o.seed + 1000 * ++layer);
  const head = outputHead(meta);
  const model = tf.sequential({ name: `tabtrain_${o.preset}` });
  const image = meta.inputShape.length === 3;
  const flatIn = meta.inputShape.length > 1;
  if (o.preset === 'cnn') {
    if (!image) throw fail('CONFIG_INVALID', `model: cnn needs image inputs [h, w, c], dataset ${meta.name} has shape [${meta.inputShape}]`);
    // LeNet-style: two conv/pool blocks then a dense head.
    model.add(tf.layers.conv2d({ name: 'conv1', inputShape: meta.inputShape, filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init('hidden') }));
    model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
    model.add(tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init('hidden') }));
    model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
    model.add(tf.layers.flatten({ name: 'flatten' }));
  } else if (flatIn) {
    model.add(tf.layers.flatten({ name: 'flatten', inputShape: meta.inputShape }));
  }
  const hidden = o.preset === 'logreg' ? [] : (o.hidden ?? (o.preset === 'cnn' ? [64] : [128]));
  hidden.forEach((units, i) => {
    const first = i === 0 && o.preset !== 'cnn' && !flatIn;
    model.add(
      tf.layers.dense({
        name: `dense${i + 1}`,
        units,
        activation: o.batchNorm ? 'linear' : activationName(o.activation),
        kernelInitializer: init('hidden'),
        useBias: !o.batchNorm,
        ...(first ? { inputShape: meta.inputShape } : {}),
      }),
    );
    if (o.batchNorm) {
      model.add(tf.layers.batchNormalization({ name: `bn${i + 1}` }));
      model.add(tf.layers.activation({ name: `act${i + 1}`, activation: activationName(o.activation) }));
    }
    if (o.activation === 'leaky_relu') model.add(tf.layers.leakyReLU({ name: `leaky${i + 1}`, alpha: 0.2 }));
    if (o.dropout > 0) model.add(tf.layers.dropout({ name: `dropout${i + 1}`, rate: o.dropout, seed: o.seed + i }));
  });
  const firstLayer = hidden.length === 0 && o.preset !== 'cnn' && !flatIn;
  model.add(
    tf.layers.dense({
      name: 'output',
      units: head.units,
      activation: head.activation,
      kernelInitializer: init('out'),
      ...(firstLayer ? { inputShape: meta.inputShape } : {}),
    }),
  );
  return model;
}

function activationName(a: ModelOptions['activation']): 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'linear' {
  // leaky_relu is its own layer after a linear dense.
  return a === 'leaky_relu' ? 'linear' : a;
}

export function initializer(name: NonNullable<ModelOptions['initializer']>, seed: number): Initializer {
  switch (name) {
    case 'glorot_uniform':
      return tf.initializers.glorotUniform({ seed });
    case 'glorot_normal':
      return tf.initializers.glorotNormal({ seed });
    case 'he_uniform':
      return tf.initializers.heUniform({ seed });
    case 'he_normal':
      return tf.initializers.heNormal({ seed });
    case 'lecun_normal':
      return tf.initializers.leCunNormal({ seed });
    case 'uniform':
      // uniform +-1/sqrt(fan_in): variance scaling with scale 1/3 on fan_in gives limit sqrt(3 * (1/3) / fan_in).
      return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed });
    case 'constant':
      // The classic failure: every unit identical, symmetry never broken.
      return tf.initializers.constant({ value: 0.05 });
  }
}
