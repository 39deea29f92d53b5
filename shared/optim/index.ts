/** The optimizer kernels, schedules and gradient transforms the coordinator applies. */
export * from './types';
export { SgdOptimizer } from './sgd';
export { MomentumOptimizer } from './momentum';
export { RmspropOptimizer, type RmspropSettings } from './rmsprop';
export { AdagradOptimizer, type AdagradSettings } from './adagrad';
export { AdamOptimizer, type AdamSettings } from './adam';
export { AdamWOptimizer, type AdamWSettings } from './adamw';
export { createOptimizer } from './create';
export { learningRateAt, validateSchedule } from './schedule';
export { clipByGlobalNorm, globalNorm } from './clip';
export { addPenaltyGradients, penaltyLoss } from './penalty';
