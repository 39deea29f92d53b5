import type { Config } from '../../shared/config/schema';
import { isMarginLoss, type LossName } from '../../shared/config/names';
import type { DatasetMeta } from '../../shared/data/dataset';
import { fail } from '../../shared/errors';

/**
 * The run's loss: the one asked for, else the one the model and task call
 * for (hinge for svm; MSE for regression and the autoencoder; cross-entropy
 * for classes and characters). Refuses a loss the task cannot use.
 */
export function chooseLoss(c: Config, meta: DatasetMeta): LossName {
  const loss = c.loss ?? defaultLoss(c, meta);
  if (isMarginLoss(loss) && (meta.task !== 'classification' || c.model === 'autoencoder' || c.model === 'charrnn')) {
    throw fail('CONFIG_INVALID', `loss: ${loss} is the linear SVM's loss and needs classes; dataset ${meta.name} is ${meta.task}${c.model === 'autoencoder' || c.model === 'charrnn' ? ` and model ${c.model} predicts ${c.model === 'charrnn' ? 'characters' : 'pixels'}` : ''}`);
  }
  if (c.model === 'autoencoder' && loss !== 'mse' && loss !== 'binary_crossentropy' && loss !== 'mae') {
    throw fail('CONFIG_INVALID', `loss: the autoencoder reconstructs pixels in [0, 1]; use mse or binary_crossentropy, not ${loss}`);
  }
  if (c.model === 'charrnn' && loss !== 'categorical_crossentropy') {
    throw fail('CONFIG_INVALID', `loss: charrnn predicts the next character; its loss is categorical_crossentropy, not ${loss}`);
  }
  return loss;
}

function defaultLoss(c: Config, meta: DatasetMeta): LossName {
  if (c.model === 'svm') return 'hinge';
  if (c.model === 'autoencoder') return 'mse';
  if (c.model === 'charrnn') return 'categorical_crossentropy';
  if (meta.task === 'regression') return 'mse';
  return meta.numClasses === 2 ? 'binary_crossentropy' : 'categorical_crossentropy';
}
