import { fail } from '../errors';
import { AdagradOptimizer } from './adagrad';
import { AdamOptimizer } from './adam';
import { AdamWOptimizer } from './adamw';
import { MomentumOptimizer } from './momentum';
import { RmspropOptimizer } from './rmsprop';
import { SgdOptimizer } from './sgd';
import { OPTIMIZER_NAMES, type Optimizer, type OptimizerConfig } from './types';

/**
 * Builds the optimizer a config names, for `size` flat parameters. Settings a
 * config leaves out take tfjs's defaults; settings out of range, or a missing
 * momentum (tf.train.momentum has no default), throw CONFIG_INVALID naming the
 * field and its accepted range. Settings that the named optimizer does not use
 * (e.g. beta1 for sgd) are ignored, so one config block can serve them all.
 */
export function createOptimizer(config: OptimizerConfig, size: number): Optimizer {
  const name: string = config.name;
  switch (config.name) {
    case 'sgd':
      return new SgdOptimizer(size);
    case 'momentum':
    case 'nesterov':
      if (config.momentum === undefined) {
        throw fail('CONFIG_INVALID', `${name}: momentum is required (a number in [0, 1), typically 0.9); tf.train.momentum has no default`);
      }
      return new MomentumOptimizer(size, config.momentum, config.name === 'nesterov');
    case 'rmsprop':
      if (config.centered !== undefined && typeof config.centered !== 'boolean') {
        throw fail('CONFIG_INVALID', `rmsprop: centered must be true or false, got ${String(config.centered)}`);
      }
      return new RmspropOptimizer(size, {
        rho: config.rho,
        momentum: config.momentum,
        epsilon: config.epsilon,
        centered: config.centered,
      });
    case 'adagrad':
      return new AdagradOptimizer(size, { initialAccumulatorValue: config.initialAccumulatorValue, epsilon: config.epsilon });
    case 'adam':
      return new AdamOptimizer(size, { beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon });
    case 'adamw':
      return new AdamWOptimizer(size, {
        beta1: config.beta1,
        beta2: config.beta2,
        epsilon: config.epsilon,
        weightDecay: config.weightDecay,
      });
    default:
      throw fail('CONFIG_INVALID', `optimizer: name '${name}' is not known; expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
}
