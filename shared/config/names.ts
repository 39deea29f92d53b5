/**
 * Every list of names a setting accepts, each defined once: the config
 * schema, the CLI's --help and value checks, the wire schema and the
 * trainer all derive from these.
 */

/**
 * Losses. Per sample, as Keras defines them; hinge and squared_hinge are the
 * linear SVM's, one-vs-rest: each output unit k is a score s_k against the
 * target t_k = +1 for the true class, -1 otherwise (a single unit for two
 * classes), and the loss is the mean over units of max(0, 1 - t_k s_k)
 * (squared for squared_hinge).
 */
export const LOSS_NAMES = ['categorical_crossentropy', 'binary_crossentropy', 'mse', 'mae', 'hinge', 'squared_hinge'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** Losses on raw scores (a linear head, decision at 0) rather than probabilities. */
export const MARGIN_LOSSES: readonly LossName[] = ['hinge', 'squared_hinge'];
export const isMarginLoss = (loss: LossName): boolean => MARGIN_LOSSES.includes(loss);

/** Model presets; any other value of --model is a path to a tfjs layers model.json. */
export const MODEL_PRESETS = ['logreg', 'linear', 'svm', 'mlp', 'cnn', 'autoencoder', 'charrnn'] as const;
export type ModelPreset = (typeof MODEL_PRESETS)[number];
export const isModelPreset = (name: string): name is ModelPreset => (MODEL_PRESETS as readonly string[]).includes(name);

export const ACTIVATION_NAMES = ['relu', 'leaky_relu', 'tanh', 'sigmoid', 'elu'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

export const INITIALIZER_NAMES = ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_normal', 'lecun_uniform', 'uniform', 'constant'] as const;
export type InitializerName = (typeof INITIALIZER_NAMES)[number];

/** Recurrent cells of the charrnn preset. */
export const CELL_NAMES = ['simplernn', 'lstm', 'gru'] as const;
export type CellName = (typeof CELL_NAMES)[number];

export const NORMALIZE_NAMES = ['none', 'zscore', 'minmax'] as const;
export const MODE_NAMES = ['sync', 'async', 'local'] as const;
/** --mode local: the coordinator's optimizer over the averaged weight change. */
export const OUTER_OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adam'] as const;
