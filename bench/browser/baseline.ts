import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

/**
 * The single-tab baseline of bench item 1: the same model, batch size and
 * backend, trained with plain tfjs in one tab and no coordinator. Data stays
 * on the GPU (random values of the dataset's shape: throughput does not
 * depend on them); each step gathers a random batch and calls trainOnBatch,
 * which reads the loss back, as a tabtrain tab reads its gradient back.
 */
export interface BaselineOptions {
  topology: Record<string, unknown>;
  inputShape: number[];
  classes: number;
  trainSize: number;
  batch: number;
  steps: number;
  lr: number;
  loss: string;
  /** The tfjs backend (default webgl). */
  backend?: string;
  /** WebGL shapes as uniforms (tfjs default: false). */
  shapeUniforms?: boolean;
}

export interface BaselineResult {
  backend: string;
  stepMs: number[];
}

async function baseline(o: BaselineOptions): Promise<BaselineResult> {
  if (o.shapeUniforms !== undefined) tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', o.shapeUniforms);
  await tf.setBackend(o.backend ?? 'webgl');
  await tf.ready();
  const model = await tf.models.modelFromJSON({ modelTopology: o.topology } as unknown as tf.io.ModelJSON);
  const losses: Record<string, string> = { categorical_crossentropy: 'categoricalCrossentropy', binary_crossentropy: 'binaryCrossentropy', mse: 'meanSquaredError', mae: 'meanAbsoluteError' };
  model.compile({ optimizer: tf.train.adam(o.lr), loss: losses[o.loss] ?? o.loss });
  const x = tf.randomUniform([o.trainSize, ...o.inputShape]);
  const labels = tf.randomUniform([o.trainSize], 0, o.classes, 'int32') as tf.Tensor1D;
  const y = tf.oneHot(labels, o.classes).toFloat();
  const stepMs: number[] = [];
  for (let s = 0; s < o.steps; s++) {
    const t0 = performance.now();
    const idx = tf.tensor1d(Int32Array.from({ length: o.batch }, () => Math.floor(Math.random() * o.trainSize)), 'int32');
    const xb = tf.gather(x, idx);
    const yb = tf.gather(y, idx);
    await model.trainOnBatch(xb, yb);
    tf.dispose([idx, xb, yb]);
    stepMs.push(performance.now() - t0);
  }
  tf.dispose([x, labels, y]);
  model.dispose();
  return { backend: tf.getBackend(), stepMs };
}

const g = globalThis as unknown as { tabtrainBaseline: typeof baseline; onmessage: ((e: MessageEvent<BaselineOptions>) => void) | null; postMessage?: (m: unknown) => void };
g.tabtrainBaseline = baseline;
// In a Web Worker (where a tabtrain tab computes), the options come as a message.
if (typeof document === 'undefined') {
  g.onmessage = (e) => {
    baseline(e.data).then(
      (r) => g.postMessage!(r),
      (err: unknown) => g.postMessage!({ error: err instanceof Error ? err.message : String(err) }),
    );
  };
}
