import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, TabtrainError } from '../../shared/errors';
import { describeModel, type ModelDescription } from './describe';
import { withoutNormalizeLayer } from './normalizeLayer';
import { readOptimizerState } from './optimizerFile';

/**
 * `--init-from DIR`: an exported model (model.json + weights.bin) as the
 * starting point, topology and weights both. A normalisation layer that
 * tabtrain put in front at export is dropped: this run normalises its own
 * data (with its own training statistics) before the model sees it. The
 * optimizer state saved beside the export is carried along (optimizerFile.ts).
 */
export async function loadInitFrom(dir: string): Promise<ModelDescription> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw fail('DATA_NOT_FOUND', `--init-from: ${jsonPath} does not exist (expected a directory written by --export)`);
  let artifacts: tf.io.ModelArtifacts;
  try {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
    const manifest = json.weightsManifest ?? [];
    const buffers = manifest.flatMap((g) => g.paths).map((p) => {
      const file = join(dir, p);
      if (!existsSync(file)) throw fail('DATA_NOT_FOUND', `--init-from: ${file} (listed in model.json) does not exist`);
      return readFileSync(file);
    });
    const data = Buffer.concat(buffers);
    artifacts = {
      modelTopology: json.modelTopology,
      weightSpecs: manifest.flatMap((g) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    };
  } catch (e) {
    if (e instanceof TabtrainError) throw e;
    throw fail('MODEL_INVALID', `--init-from: ${jsonPath} is not a tfjs layers model (${e instanceof Error ? e.message : String(e)})`);
  }
  let full: tf.LayersModel;
  try {
    full = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw fail('MODEL_INVALID', `--init-from: tfjs cannot load ${dir} (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    const topology = full.toJSON(null, false) as Record<string, unknown>;
    const stripped = withoutNormalizeLayer(topology);
    const optimizerState = readOptimizerState(dir);
    const withState = (d: ModelDescription): ModelDescription => (optimizerState ? { ...d, optimizerState } : d);
    if (!stripped.had) return withState(describeModel(full));
    const model = await tf.models.modelFromJSON({ modelTopology: stripped.topology } as tf.io.ModelJSON);
    try {
      for (const l of model.layers) l.setWeights(full.getLayer(l.name).getWeights());
      return withState(describeModel(model));
    } finally {
      model.dispose();
    }
  } finally {
    full.dispose();
  }
}
