import * as tf from '@tensorflow/tfjs';
import { fail } from '../../shared/errors';
import type { Initializer } from '@tensorflow/tfjs-layers/dist/initializers';
import type { DatasetMeta } from '../../shared/data/dataset';
import { isMarginLoss, type ActivationName, type InitializerName, type LossName } from '../../shared/config/names';

/**
 * Model presets, built with tfjs-layers so the topology JSON the tabs receive
 * is exactly what `tf.loadLayersModel` reads back from an export. Layers get
 * stable names and seeded initialisers: a run is reproducible from its seed.
 */
export interface ModelOptions {
  /** logreg, linear and svm are one dense layer (no hidden layer): logistic regression, linear regression, a linear SVM. */
  preset: 'logreg' | 'linear' | 'svm' | 'mlp' | 'cnn';
  /** The run's loss: a margin loss (hinge) wants raw scores, so the head is linear. */
  loss?: LossName;
  hidden?: number[];
  /** cnn: filters per conv/pool block. */
  conv?: number[];
  kernel?: number;
  activation: ActivationName;
  initializer?: InitializerName;
  dropout: number;
  batchNorm: boolean;
  seed: number;
}

/**
 * Output units and activation follow the task: softmax for classes, sigmoid for two, linear for regression;
 * with a margin loss (SVM) raw scores, one per class (one unit for two classes).
 */
export function outputHead(meta: DatasetMeta, loss?: LossName): { units: number; activation: 'softmax' | 'sigmoid' | 'linear' } {
  if (meta.task === 'regression') return { units: meta.numClasses, activation: 'linear' };
  if (loss !== undefined && isMarginLoss(loss)) return { units: meta.numClasses === 2 ? 1 : meta.numClasses, activation: 'linear' };
  if (meta.numClasses === 2) return { units: 1, activation: 'sigmoid' };
  return { units: meta.numClasses, activation: 'softmax' };
}

export function buildPreset(meta: DatasetMeta, o: ModelOptions): tf.Sequential {
  let layer = 0;
  const init = (fanKind: 'hidden' | 'out'): Initializer =>
    initializer(o.initializer ?? (fanKind === 'hidden' && o.activation === 'relu' ? 'he_uniform' : 'glorot_uniform'), o.seed + 1000 * ++layer);
  const head = outputHead(meta, o.loss);
  const model = tf.sequential({ name: `tabtrain_${o.preset}` });
  const image = meta.inputShape.length === 3;
  const flatIn = meta.inputShape.length > 1;
  if (o.preset === 'cnn') {
    if (!image) throw fail('CONFIG_INVALID', `model: cnn needs image inputs [h, w, c], dataset ${meta.name} has shape [${meta.inputShape}]`);
    // LeNet-style: conv/pool blocks (8 then 16 filters by default) then a dense head.
    const filters = o.conv ?? [8, 16];
    const k = o.kernel ?? 5;
    let side = Math.min(meta.inputShape[0]!, meta.inputShape[1]!);
    filters.forEach((f, i) => {
      // The first block keeps the image size ('same'), later ones shrink it ('valid') while there is room.
      const padding = i === 0 || side - k + 1 < 2 ? 'same' : 'valid';
      if (padding === 'valid') side = side - k + 1;
      model.add(
        tf.layers.conv2d({
          name: `conv${i + 1}`,
          ...(i === 0 ? { inputShape: meta.inputShape } : {}),
          filters: f,
          kernelSize: k,
          padding,
          activation: activationName(o.activation),
          kernelInitializer: init('hidden'),
        }),
      );
      if (o.activation === 'leaky_relu') model.add(tf.layers.leakyReLU({ name: `conv_leaky${i + 1}`, alpha: 0.2 }));
      if (side >= 2) {
        model.add(tf.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2 }));
        side = Math.floor(side / 2);
      }
    });
    model.add(tf.layers.flatten({ name: 'flatten' }));
  } else if (flatIn) {
    model.add(tf.layers.flatten({ name: 'flatten', inputShape: meta.inputShape }));
  }
  const hidden = o.preset === 'logreg' || o.preset === 'linear' || o.preset === 'svm' ? [] : (o.hidden ?? (o.preset === 'cnn' ? [64] : [128]));
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
    // No seed: tfjs would then draw the very same mask on every call, dropping the same units for every batch.
    if (o.dropout > 0) model.add(tf.layers.dropout({ name: `dropout${i + 1}`, rate: o.dropout }));
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
      return truncatedNormal(1, 'fanAvg', seed);
    case 'he_uniform':
      return tf.initializers.heUniform({ seed });
    case 'he_normal':
      return truncatedNormal(2, 'fanIn', seed);
    case 'lecun_normal':
      return truncatedNormal(1, 'fanIn', seed);
    case 'lecun_uniform':
      return tf.initializers.leCunUniform({ seed });
    case 'uniform':
      // uniform +-1/sqrt(fan_in): variance scaling with scale 1/3 on fan_in gives limit sqrt(3 * (1/3) / fan_in).
      return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed });
    case 'constant':
      // The classic failure: every unit identical, symmetry never broken.
      return tf.initializers.constant({ value: 0.05 });
  }
}

/**
 * The normal initialisers as defined (variance scale / fan), drawn from a
 * normal truncated at two standard deviations. tfjs's own glorotNormal,
 * heNormal and leCunNormal truncate without correcting the spread, which
 * leaves the variance 23% short (measured: 0.774 of the definition); Keras
 * divides the standard deviation by 0.8796 to compensate, and so do we.
 */
const TRUNCATION_STD = 0.87962566103423978;

function truncatedNormal(scale: number, mode: 'fanIn' | 'fanAvg', seed: number): Initializer {
  return tf.initializers.varianceScaling({ scale: scale / TRUNCATION_STD ** 2, mode, distribution: 'normal', seed });
}
