import * as tf from '@tensorflow/tfjs';
import type { CellName } from '../../shared/config/names';
import type { DatasetMeta } from '../../shared/data/dataset';
import { fail } from '../../shared/errors';

/**
 * A character-level language model, as in makemore / char-rnn: each of the
 * T input characters (token ids) is embedded, runs through L stacked
 * recurrent layers (SimpleRNN, LSTM or GRU, returning every step), and a
 * dense softmax over the vocabulary predicts the next character at every
 * position. Trained on windows of T characters: backpropagation runs through
 * those T steps only (truncated BPTT), each window starting from a zero
 * state, so windows are independent samples and peers can sum gradients over
 * any shard of them like for any other model.
 */
export interface CharRnnOptions {
  cell: CellName;
  units: number;
  layers: number;
  seed: number;
}

/** Embedding width: small vocabularies do not need more. */
export const EMBEDDING_DIM = 16;

export function buildCharRnn(meta: DatasetMeta, o: CharRnnOptions): tf.Sequential {
  if (meta.task !== 'sequence') {
    throw fail('CONFIG_INVALID', `model: charrnn learns from text; dataset ${meta.name} is ${meta.task} (use --dataset names or text:FILE)`);
  }
  const seqLen = meta.inputShape[0]!;
  const vocab = meta.numClasses;
  let k = 0;
  const seed = (): number => o.seed + 1000 * ++k;
  const model = tf.sequential({ name: `tabtrain_charrnn_${o.cell}` });
  model.add(tf.layers.embedding({ name: 'embed', inputDim: vocab, outputDim: Math.min(EMBEDDING_DIM, vocab), inputShape: [seqLen], embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed() }) }));
  for (let l = 0; l < o.layers; l++) {
    const args = {
      name: `${o.cell}${l + 1}`,
      units: o.units,
      returnSequences: true,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed() }),
    };
    model.add(o.cell === 'lstm' ? tf.layers.lstm(args) : o.cell === 'gru' ? tf.layers.gru(args) : tf.layers.simpleRNN(args));
  }
  model.add(tf.layers.timeDistributed({ name: 'next', layer: tf.layers.dense({ name: 'output', units: vocab, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }) }) }));
  return model;
}
