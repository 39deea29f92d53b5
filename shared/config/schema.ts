import { z } from 'zod';
import { OPTIMIZER_NAMES, SCHEDULE_NAMES } from '../optim/types';
import { ACTIVATION_NAMES, CELL_NAMES, INITIALIZER_NAMES, LOSS_NAMES, MODE_NAMES, MODEL_PRESETS, NORMALIZE_NAMES, OUTER_OPTIMIZER_NAMES } from './names';

/**
 * The whole training configuration, one commented block in the manner of
 * nanoGPT. Every CLI flag and every key of a `--config` file lands here;
 * unknown keys are refused. Defaults are chosen so that `tabtrain run` with
 * no flags trains MNIST to > 0.92 test accuracy in a couple of minutes.
 */
export const configSchema = z
  .object({
    // --- data ---
    /** `mnist` (embedded 10k digits), `iris`, `names`, `xor|circles|spiral|gauss|regression`, `idx:DIR`, `csv:FILE`, `text:FILE`. */
    dataset: z.string().min(1).default('mnist'),
    /** train/validation/test fractions of the dataset, split by seed. */
    split: z.tuple([z.number(), z.number(), z.number()]).default([0.8, 0.1, 0.1]),
    /** CSV: the label column's name or index. */
    label: z.string().optional(),
    /** CSV: a separate test file with the same columns, used as the test split as it is (validation is split from the training file only). */
    testFile: z.string().optional(),
    /** Synthetic sets: how many samples and how much noise. */
    samples: z.number().int().positive().max(1_000_000).default(1000),
    noise: z.number().min(0).max(10).default(0.1),
    /** Feature normalisation with training-split statistics (f32 datasets). */
    normalize: z.enum(NORMALIZE_NAMES).default('none'),
    /** Random shift and small rotation of images on the tabs. */
    augment: z.boolean().default(false),

    // --- model ---
    /** A preset (MODEL_PRESETS: logreg, linear, svm, mlp, cnn, autoencoder, charrnn) or a path to a tfjs layers model.json. */
    model: z.string().min(1).default('mlp'),
    /** Configurable MLP: hidden layer widths (mlp preset: [128]). */
    hidden: z.array(z.number().int().positive().max(65536)).optional(),
    /** Configurable CNN: filters of each conv/pool block (cnn preset: [8, 16]). */
    conv: z.array(z.number().int().positive().max(512)).min(1).max(6).optional(),
    /** Convolution kernel size of every block. */
    kernel: z.number().int().min(1).max(11).default(5),
    activation: z.enum(ACTIVATION_NAMES).default('relu'),
    initializer: z.enum(INITIALIZER_NAMES).optional(),
    dropout: z.number().min(0).max(0.95).default(0),
    batchNorm: z.boolean().default(false),
    /** Loss; by default chosen from the task (cross-entropy for classes, MSE for regression, hinge for svm). */
    loss: z.enum(LOSS_NAMES).optional(),
    /** autoencoder: width of the code layer (2 for a scatter of the codes). */
    bottleneck: z.number().int().positive().max(4096).default(32),
    /** charrnn: recurrent cell, units per layer, stacked layers, characters per training sequence (truncated BPTT length). */
    cell: z.enum(CELL_NAMES).default('lstm'),
    units: z.number().int().positive().max(4096).default(64),
    layers: z.number().int().positive().max(8).default(1),
    seqLen: z.number().int().min(2).max(1024).default(16),

    // --- optimisation (applied centrally on the coordinator) ---
    optimizer: z.enum(OPTIMIZER_NAMES).default('adam'),
    /** Base learning rate; by default chosen per optimizer (adam 0.001, sgd 0.1, momentum 0.01 ...). */
    lr: z.number().positive().max(100).optional(),
    momentum: z.number().min(0).max(0.9999).default(0.9),
    beta1: z.number().min(0).max(0.9999).default(0.9),
    beta2: z.number().min(0).max(0.999999).default(0.999),
    epsilon: z.number().positive().max(1).default(1e-7),
    weightDecay: z.number().min(0).max(1).default(0),
    schedule: z.enum(SCHEDULE_NAMES).default('constant'),
    /** Step / exponential / inverse-time decay factor. */
    gamma: z.number().positive().default(0.5),
    decayEvery: z.number().int().positive().default(1),
    warmupSteps: z.number().int().nonnegative().default(0),
    l1: z.number().min(0).default(0),
    l2: z.number().min(0).default(0),
    /** Global-norm gradient clipping; 0 = off. */
    clipNorm: z.number().min(0).default(0),

    // --- schedule of the run ---
    /** Global mini-batch per step, fixed whatever the number of peers. */
    batchSize: z.number().int().positive().max(1_000_000).default(128),
    epochs: z.number().int().positive().max(100_000).default(5),
    /** Stop after this many steps instead (overrides epochs when set). */
    steps: z.number().int().positive().optional(),
    /** Early stopping: epochs without validation-loss improvement; 0 = off. */
    patience: z.number().int().nonnegative().default(0),
    /** Stop at a target: after the first validation pass whose accuracy is >= this, the run ends as after its last epoch (test pass, report, checkpoint); unset = off. */
    targetAccuracy: z.number().gt(0).max(1).optional(),
    seed: z.number().int().nonnegative().max(2 ** 32 - 1).default(1),
    /** sync: every step waits for the whole global batch. async: apply gradients as they come. */
    mode: z.enum(MODE_NAMES).default('sync'),
    maxStaleness: z.number().int().nonnegative().default(4),
    /** How a step's gradients are combined: mean (exact) | clip[:TAU] | median | trimmed:F | krum:F (coordinator/aggregate/). */
    aggregate: z
      .string()
      .regex(/^(mean|median|clip(:\d+(\.\d+)?(e[-+]?\d+)?)?|trimmed:\d+|krum:\d+)$/, 'expected mean | clip | clip:TAU | median | trimmed:F | krum:F')
      .default('mean'),
    /** Spot checks (coordinator/aggregate/spotRounds.ts): this fraction of sync training shards is also computed by a second peer and compared; every evaluation shard is, whenever > 0. 0 = off. */
    spotCheck: z.number().min(0).max(1).default(0),
    /** local: inner steps each peer takes between syncs (a round consumes this many global batches). */
    localSteps: z.number().int().positive().max(100_000).default(16),
    /** local: the coordinator's optimizer over the averaged weight change (DiLoCo: nesterov, lr 0.7, momentum 0.9). */
    outerOptimizer: z.enum(OUTER_OPTIMIZER_NAMES).default('nesterov'),
    outerLr: z.number().positive().max(100).default(0.7),
    outerMomentum: z.number().min(0).max(0.9999).default(0.9),
    /** Gradient wire codec. */
    compress: z.string().default('none'),
    /** Weights wire codec (none | fp16 | delta | delta:fp16); evaluation always gets the exact float32 weights. */
    weightsCodec: z.string().default('none'),

    // --- fleet ---
    /** Headless Chromium tabs started by `run`. */
    peers: z.number().int().nonnegative().max(64).default(2),
    /** In-process Node peers running the same trainer core (tfjs cpu). */
    nodePeers: z.number().int().nonnegative().max(1000).default(0),
    /** `serve`: start training once this many peers are ready. */
    minPeers: z.number().int().positive().default(1),
    /** Most peer connections at once (a full run answers 503). */
    maxPeers: z.number().int().positive().max(100_000).default(2000),
    /** Most open connections from one address, every route counted; loopback is exempt (node peers, bench fleets); 0 = no cap. */
    maxPerAddress: z.number().int().nonnegative().default(64),
    chromium: z.string().optional(),
    /** Tabs add up their gradients in reduction trees over WebRTC data channels (sync mode; node peers stay on the star). */
    p2p: z.boolean().default(false),
    /** --p2p: children per relay, and roots sending to the coordinator (it receives this many sums per step instead of N). */
    p2pFanIn: z.number().int().positive().max(64).default(2),
    /** --p2p: relays send what they have this long (per tree level) before the step's first deadline, when the star's backups start. */
    p2pWaitMs: z.number().int().nonnegative().max(600_000).default(1000),
    /** `peer`: compute honestly, then lie (sign-flip | scale:K | noise | alie | ipm | nan | silent | liar); for tests and classes. */
    attack: z
      .string()
      .regex(/^(sign-flip|noise|alie|ipm|nan|silent|liar|scale:-?\d+(\.\d+)?(e[-+]?\d+)?)$/, 'expected sign-flip | scale:K | noise | alie | ipm | nan | silent | liar')
      .optional(),
    /** `peer`: the join link of the coordinator the node peers work for. */
    join: z.string().optional(),

    // --- server and outputs ---
    host: z.string().default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(0),
    report: z.string().optional(),
    export: z.string().optional(),
    /** Start from an exported model (a directory with model.json + weights.bin): fine-tuning or continuing a run. */
    initFrom: z.string().optional(),
    checkpointDir: z.string().optional(),
    checkpointEvery: z.number().int().nonnegative().default(0),
    /** How many checkpoints to keep (the newest). */
    checkpointKeep: z.number().int().positive().max(1000).default(3),
    resume: z.boolean().default(false),
    exitWhenDone: z.boolean().default(false),
    /** Print a progress line at most this often. */
    progressSeconds: z.number().positive().default(5),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

/**
 * Keys that change the math of a run: a checkpoint continues a run only if
 * these are equal. The rest (fleet, server, outputs, schedule length) may
 * change across a restart.
 */
export const MATH_KEYS = [
  'dataset', 'split', 'label', 'testFile', 'samples', 'noise', 'normalize', 'augment',
  'model', 'hidden', 'conv', 'kernel', 'activation', 'initializer', 'dropout', 'batchNorm', 'loss', 'bottleneck', 'cell', 'units', 'layers', 'seqLen',
  'optimizer', 'lr', 'momentum', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'schedule', 'gamma', 'decayEvery', 'warmupSteps', 'l1', 'l2', 'clipNorm',
  'batchSize', 'seed', 'mode', 'maxStaleness', 'localSteps', 'outerOptimizer', 'outerLr', 'outerMomentum',
] as const satisfies readonly ConfigKey[];
export type ConfigInput = z.input<typeof configSchema>;

/** The learning rate a person would expect for each optimizer when none is given. */
export const DEFAULT_LR: Record<Config['optimizer'], number> = {
  sgd: 0.1,
  momentum: 0.01,
  nesterov: 0.01,
  rmsprop: 0.001,
  adagrad: 0.05,
  adam: 0.001,
  adamw: 0.001,
};
