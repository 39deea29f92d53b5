import * as tf from '@tensorflow/tfjs';
import { sampleSize, splitRange } from '../../../shared/data/dataset';
import { CODE_LAYER } from '../autoencoder';
import type { TrainingCoordinator } from '../../run/coordinator';
import type { AutoencoderView } from './types';
import { round3 } from './viewMath';

/**
 * What an autoencoder does, for the dashboard: the first test images beside
 * their reconstructions by the coordinator's weights, and with a 2-unit code
 * (`--bottleneck 2`) the codes of test images as points coloured by their
 * digit: the map the encoder has learned.
 */
const SHOWN = 10;
const CODE_POINTS = 600;

export async function autoencoderView(run: TrainingCoordinator, version: number, model: tf.LayersModel): Promise<AutoencoderView> {
  const s = run.setup;
  const d = s.dataset;
  const meta = d.meta;
  const [h, w] = meta.inputShape as [number, number];
  const size = sampleSize(meta);
  const { start, end } = splitRange(meta, 'test');
  const scale = meta.featureType === 'u8' ? 1 / 255 : 1;
  const batch = (from: number, n: number): tf.Tensor => {
    const x = new Float32Array(n * size);
    for (let i = 0; i < n * size; i++) x[i] = Number(d.features[from * size + i]) * scale;
    return tf.tensor(x, [n, ...meta.inputShape]);
  };
  {
    const shown = Math.min(SHOWN, end - start);
    const { inputs, outputs, mse } = tf.tidy(() => {
      const x = batch(start, shown);
      const y = (model.predict(x) as tf.Tensor).reshape([shown, size]);
      const xs = x.reshape([shown, size]);
      const err = tf.mean(tf.squaredDifference(xs, y)).dataSync()[0]!;
      const toGrey = (t: tf.Tensor): number[][] => {
        const v = t.dataSync();
        return Array.from({ length: shown }, (_, i) => Array.from(v.subarray(i * size, (i + 1) * size), (p) => Math.round(255 * Math.max(0, Math.min(1, p)))));
      };
      return { inputs: toGrey(xs), outputs: toGrey(y), mse: err };
    });
    // Yield once: the code pass is a second piece of math.
    await new Promise((r) => setImmediate(r));
    const code = model.layers.find((l) => l.name === CODE_LAYER);
    let codes: AutoencoderView['codes'] = null;
    if (code && (code.outputShape as number[]).at(-1) === 2) {
      const n = Math.min(CODE_POINTS, end - start);
      const encoder = tf.model({ inputs: model.inputs, outputs: code.output as tf.SymbolicTensor });
      const z = tf.tidy(() => (encoder.predict(batch(start, n)) as tf.Tensor).dataSync());
      codes = Array.from({ length: n }, (_, i) => [round3(z[2 * i]!), round3(z[2 * i + 1]!), Number(d.labels[start + i])]);
    }
    return { kind: 'autoencoder', version, step: run.step, size: [h, w], inputs, outputs, mse, codes, classNames: meta.classNames ?? null };
  }
}

