import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelDescription } from './describe';

/**
 * Writes weights in the tfjs layers format (model.json + weights.bin), which
 * `tf.loadLayersModel` reads back: the topology the tabs trained, with the
 * coordinator's final weights.
 */
export async function exportModel(dir: string, d: ModelDescription, weights: Float32Array): Promise<void> {
  const model = await tf.models.modelFromJSON({ modelTopology: d.topology } as tf.io.ModelJSON);
  try {
    const vars = [...model.trainableWeights, ...model.nonTrainableWeights];
    let at = 0;
    const values = vars.map((v) => {
      const n = v.shape.reduce((a: number, x) => a * (x ?? 0), 1);
      const t = tf.tensor(weights.subarray(at, at + n), v.shape.map((x) => x ?? 0));
      at += n;
      return t;
    });
    // setWeights takes model.weights order; map our trainable-then-state layout onto it.
    const byVar = new Map(vars.map((v, i) => [v, values[i]!]));
    model.setWeights(model.weights.map((w) => byVar.get(w)!));
    values.forEach((t) => t.dispose());
    mkdirSync(dir, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        const json = {
          modelTopology: a.modelTopology,
          format: 'layers-model',
          generatedBy: 'tabtrain',
          convertedBy: null,
          weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        };
        writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
        const data = a.weightData;
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data ?? []));
        writeFileSync(join(dir, 'weights.bin'), bytes);
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
  } finally {
    model.dispose();
  }
}
