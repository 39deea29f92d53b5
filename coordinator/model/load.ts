import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../../shared/config/schema';
import type { DatasetMeta } from '../../shared/data/dataset';
import { fail } from '../../shared/errors';
import { describeModel, type ModelDescription } from './describe';
import { loadInitFrom } from './initFrom';
import { chooseLoss } from './lossChoice';
import { buildPreset } from './presets';
import { buildAutoencoder } from './autoencoder';
import { buildCharRnn } from './charRnn';
import { MODEL_PRESETS } from '../../shared/config/names';

/** A preset by name, or a user's tfjs layers model.json (topology; its weights too if they sit beside it). */
export async function loadModel(c: Config, meta: DatasetMeta): Promise<ModelDescription> {
  if (c.initFrom) return loadInitFrom(c.initFrom);
  if (c.model === 'mlp' || c.model === 'cnn' || c.model === 'logreg' || c.model === 'linear' || c.model === 'svm') {
    const model = buildPreset(meta, {
      preset: c.model,
      loss: chooseLoss(c, meta),
      ...(c.hidden ? { hidden: c.hidden } : {}),
      ...(c.conv ? { conv: c.conv } : {}),
      kernel: c.kernel,
      activation: c.activation,
      ...(c.initializer ? { initializer: c.initializer } : {}),
      dropout: c.dropout,
      batchNorm: c.batchNorm,
      seed: c.seed,
    });
    const d = describeModel(model);
    model.dispose();
    return d;
  }
  if (meta.task === 'sequence' && c.model !== 'charrnn' && !c.model.endsWith('.json')) {
    throw fail('CONFIG_INVALID', `model: dataset ${meta.name} is text; its model is charrnn (--model charrnn), not ${c.model}`);
  }
  if (c.model === 'autoencoder' || c.model === 'charrnn') {
    const model =
      c.model === 'autoencoder'
        ? buildAutoencoder(meta, { hidden: c.hidden ?? [128], bottleneck: c.bottleneck, seed: c.seed })
        : buildCharRnn(meta, { cell: c.cell, units: c.units, layers: c.layers, seed: c.seed });
    const d = describeModel(model);
    model.dispose();
    return meta.task === 'sequence' ? { ...d, text: { vocab: meta.classNames ?? [], seqLen: meta.inputShape[0]! } } : d;
  }
  if (!c.model.endsWith('.json')) {
    throw fail('CONFIG_INVALID', `model: "${c.model}" is not one of ${MODEL_PRESETS.join(', ')}, nor a path to a tfjs model.json`);
  }
  if (!existsSync(c.model)) throw fail('DATA_NOT_FOUND', `model: ${c.model} does not exist`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(c.model, 'utf8'));
  } catch (e) {
    throw fail('MODEL_INVALID', `${c.model}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const topology = json !== null && typeof json === 'object' && 'modelTopology' in json ? (json as { modelTopology: unknown }).modelTopology : json;
  try {
    const model = await tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
    const d = describeModel(model);
    model.dispose();
    return d;
  } catch (e) {
    throw fail('MODEL_INVALID', `${c.model}: tfjs cannot build this model (${e instanceof Error ? e.message : String(e)})`);
  }
}
