import { ACTIVATION_NAMES, CELL_NAMES, INITIALIZER_NAMES, LOSS_NAMES, MODE_NAMES, MODEL_PRESETS, NORMALIZE_NAMES, OUTER_OPTIMIZER_NAMES } from '../../shared/config/names';
import type { ConfigKey } from '../../shared/config/schema';
import { OPTIMIZER_NAMES, SCHEDULE_NAMES } from '../../shared/optim/types';
import { DATASET_SPEC_FORMS } from '../datasets/forms';
/**
 * Every command-line option: its flag, the config key it sets, its kind and
 * what it is for. `--help` is printed from this table, and the parser
 * refuses anything not in it.
 */
export type OptionKind = 'string' | 'int' | 'number' | 'bool' | 'ints' | 'numbers';

export interface OptionSpec {
  flag: string;
  /** The config key it sets (typed: a key the schema does not have fails to compile). */
  key: ConfigKey | 'config';
  kind: OptionKind;
  help: string;
  values?: readonly string[];
  /** What the value is, shown in --help: FILE, DIR, URL, NAME... (default from the kind). */
  arg?: string;
  group: 'data' | 'model' | 'optimizer' | 'run' | 'fleet' | 'output';
}

export const OPTIONS: readonly OptionSpec[] = [
  { flag: 'config', arg: 'FILE', key: 'config', kind: 'string', group: 'run', help: 'JSON file with any of these options (camelCase keys); flags override it' },
  { flag: 'dataset', arg: 'NAME', key: 'dataset', kind: 'string', group: 'data', help: `${DATASET_SPEC_FORMS.join(' | ')}` },
  { flag: 'split', key: 'split', kind: 'numbers', group: 'data', help: 'train,val,test fractions (default 0.8,0.1,0.1)' },
  { flag: 'label', arg: 'COLUMN', key: 'label', kind: 'string', group: 'data', help: 'CSV: the label column (name or index)' },
  { flag: 'test-file', key: 'testFile', kind: 'string', group: 'data', help: 'CSV: a separate test file (same columns), used as the test split as it is' },
  { flag: 'samples', key: 'samples', kind: 'int', group: 'data', help: 'synthetic sets: number of samples (default 1000)' },
  { flag: 'noise', key: 'noise', kind: 'number', group: 'data', help: 'synthetic sets: noise level (default 0.1)' },
  { flag: 'normalize', key: 'normalize', kind: 'string', group: 'data', values: NORMALIZE_NAMES, help: 'feature normalisation from training statistics' },
  { flag: 'augment', key: 'augment', kind: 'bool', group: 'data', help: 'random shift and small rotation of images on the tabs' },
  { flag: 'model', arg: 'NAME|FILE', key: 'model', kind: 'string', group: 'model', help: `${MODEL_PRESETS.join(' | ')} | path/to/model.json (tfjs layers topology)` },
  { flag: 'hidden', key: 'hidden', kind: 'ints', group: 'model', help: 'hidden layer widths, e.g. 128,64' },
  { flag: 'conv', key: 'conv', kind: 'ints', group: 'model', help: 'cnn: filters of each conv/pool block, e.g. 8,16 (the default)' },
  { flag: 'kernel', key: 'kernel', kind: 'int', group: 'model', help: 'cnn: convolution kernel size (default 5)' },
  { flag: 'activation', key: 'activation', kind: 'string', group: 'model', values: ACTIVATION_NAMES, help: 'hidden activation' },
  { flag: 'initializer', key: 'initializer', kind: 'string', group: 'model', values: INITIALIZER_NAMES, help: 'weight initialiser' },
  { flag: 'dropout', key: 'dropout', kind: 'number', group: 'model', help: 'dropout rate after each hidden layer (0 = off)' },
  { flag: 'batch-norm', key: 'batchNorm', kind: 'bool', group: 'model', help: 'batch normalisation after each hidden dense layer' },
  { flag: 'loss', key: 'loss', kind: 'string', group: 'model', values: LOSS_NAMES, help: 'loss (default from the task; hinge and squared_hinge: linear SVM, one-vs-rest)' },
  { flag: 'bottleneck', key: 'bottleneck', kind: 'int', group: 'model', help: 'autoencoder: width of the code layer (default 32; 2 for a scatter)' },
  { flag: 'cell', key: 'cell', kind: 'string', group: 'model', values: CELL_NAMES, help: 'charrnn: recurrent cell (default lstm)' },
  { flag: 'units', key: 'units', kind: 'int', group: 'model', help: 'charrnn: units per recurrent layer (default 64)' },
  { flag: 'layers', key: 'layers', kind: 'int', group: 'model', help: 'charrnn: stacked recurrent layers (default 1)' },
  { flag: 'seq-len', key: 'seqLen', kind: 'int', group: 'model', help: 'charrnn: characters per training sequence, the truncated-BPTT length (default 16)' },
  { flag: 'optimizer', key: 'optimizer', kind: 'string', group: 'optimizer', values: OPTIMIZER_NAMES, help: 'applied centrally on the coordinator (default adam; --mode local: the inner optimizer, in the peers)' },
  { flag: 'lr', key: 'lr', kind: 'number', group: 'optimizer', help: 'learning rate (default per optimizer: adam 0.001, sgd 0.1, momentum 0.01)' },
  { flag: 'momentum', key: 'momentum', kind: 'number', group: 'optimizer', help: 'momentum / nesterov coefficient (default 0.9)' },
  { flag: 'beta1', key: 'beta1', kind: 'number', group: 'optimizer', help: 'adam first-moment decay (default 0.9)' },
  { flag: 'beta2', key: 'beta2', kind: 'number', group: 'optimizer', help: 'adam second-moment decay (default 0.999)' },
  { flag: 'epsilon', key: 'epsilon', kind: 'number', group: 'optimizer', help: 'denominator epsilon (default 1e-7)' },
  { flag: 'weight-decay', key: 'weightDecay', kind: 'number', group: 'optimizer', help: 'adamw decoupled weight decay' },
  { flag: 'schedule', key: 'schedule', kind: 'string', group: 'optimizer', values: SCHEDULE_NAMES, help: 'learning-rate schedule' },
  { flag: 'gamma', key: 'gamma', kind: 'number', group: 'optimizer', help: 'decay factor for step / exponential / inverse-time schedules' },
  { flag: 'decay-every', key: 'decayEvery', kind: 'int', group: 'optimizer', help: 'step schedule: epochs between decays' },
  { flag: 'warmup-steps', key: 'warmupSteps', kind: 'int', group: 'optimizer', help: 'linear learning-rate warm-up steps' },
  { flag: 'l1', key: 'l1', kind: 'number', group: 'optimizer', help: 'L1 penalty on kernels' },
  { flag: 'l2', key: 'l2', kind: 'number', group: 'optimizer', help: 'L2 penalty on kernels' },
  { flag: 'clip-norm', key: 'clipNorm', kind: 'number', group: 'optimizer', help: 'global-norm gradient clipping (0 = off)' },
  { flag: 'batch-size', key: 'batchSize', kind: 'int', group: 'run', help: 'global mini-batch per step, whatever the number of peers (default 128)' },
  { flag: 'epochs', key: 'epochs', kind: 'int', group: 'run', help: 'epochs to train (default 5)' },
  { flag: 'steps', key: 'steps', kind: 'int', group: 'run', help: 'train this many steps instead of whole epochs' },
  { flag: 'patience', key: 'patience', kind: 'int', group: 'run', help: 'early stopping: epochs without validation improvement (0 = off)' },
  { flag: 'target-accuracy', arg: 'ACC', key: 'targetAccuracy', kind: 'number', group: 'run', help: 'stop at the first validation pass (after an epoch) whose accuracy is >= ACC (0 < ACC <= 1), then test and report as after the last epoch (default off)' },
  { flag: 'seed', key: 'seed', kind: 'int', group: 'run', help: 'seed for the split, the shuffles and the initial weights (default 1)' },
  { flag: 'mode', key: 'mode', kind: 'string', group: 'run', values: MODE_NAMES, help: 'sync steps, async with bounded staleness, or local steps (DiLoCo)' },
  { flag: 'local-steps', key: 'localSteps', kind: 'int', group: 'run', help: 'local: inner steps per peer between syncs (default 16; --optimizer/--lr are the inner optimizer)' },
  { flag: 'outer-optimizer', key: 'outerOptimizer', kind: 'string', group: 'optimizer', values: OUTER_OPTIMIZER_NAMES, help: 'local: optimizer over the averaged weight change (default nesterov)' },
  { flag: 'outer-lr', key: 'outerLr', kind: 'number', group: 'optimizer', help: 'local: outer learning rate (default 0.7)' },
  { flag: 'outer-momentum', key: 'outerMomentum', kind: 'number', group: 'optimizer', help: 'local: outer momentum (default 0.9)' },
  { flag: 'max-staleness', key: 'maxStaleness', kind: 'int', group: 'run', help: 'async: drop gradients older than this many versions' },
  { flag: 'compress', arg: 'CODEC', key: 'compress', kind: 'string', group: 'run', help: 'gradient codec: none | fp16 | int8 | topk:FRACTION (int8 and topk keep an error-feedback residual on each peer)' },
  { flag: 'aggregate', key: 'aggregate', kind: 'string', group: 'run', help: 'how gradients are combined: mean (exact, default) | clip (centered clipping) | clip:TAU | median | trimmed:F | krum:F (F = bad peers tolerated)' },
  { flag: 'spot-check', arg: 'F', key: 'spotCheck', kind: 'number', group: 'run', help: 'fraction of training shards (sync; local with --optimizer sgd) computed again by a second peer and compared (0 = off, default; e.g. 0.05); when > 0 every evaluation shard is checked too, and a peer that disagrees 3 times is quarantined' },
  { flag: 'weights-codec', arg: 'CODEC', key: 'weightsCodec', kind: 'string', group: 'run', help: 'weights codec: none | fp16 | delta (= delta:int8) | delta:fp16 (deltas to the copy each peer holds, full weights when it has none; evaluation gets exact fp32)' },
  { flag: 'peers', key: 'peers', kind: 'int', group: 'fleet', help: 'run: headless Chromium tabs to start (default 2)' },
  { flag: 'node-peers', key: 'nodePeers', kind: 'int', group: 'fleet', help: 'Node peers (tfjs cpu) to start in this process (default 0)' },
  { flag: 'min-peers', key: 'minPeers', kind: 'int', group: 'fleet', help: 'start training once this many peers are ready (default 1)' },
  { flag: 'max-peers', key: 'maxPeers', kind: 'int', group: 'fleet', help: 'most peer connections at once; more are refused (default 2000)' },
  { flag: 'max-per-address', key: 'maxPerAddress', kind: 'int', group: 'fleet', help: 'most open connections from one address, loopback exempt (default 64, 0 = no cap)' },
  { flag: 'p2p', key: 'p2p', kind: 'bool', group: 'fleet', help: 'tabs add up gradients and pass weights down in trees over WebRTC data channels (PeerJS via this coordinator); sync and local modes (async stays on the star); node peers and tabs without WebRTC stay on the star' },
  { flag: 'p2p-fan-in', arg: 'K', key: 'p2pFanIn', kind: 'int', group: 'fleet', help: '--p2p: children per relay and sums per step into the coordinator (default 2)' },
  { flag: 'p2p-wait-ms', arg: 'MS', key: 'p2pWaitMs', kind: 'int', group: 'fleet', help: '--p2p: relays send what they have this long per tree level before the step deadline (default 1000)' },
  { flag: 'chromium', arg: 'FILE', key: 'chromium', kind: 'string', group: 'fleet', help: 'Chromium executable (default $CHROMIUM_PATH, then /usr/bin/chromium)' },
  { flag: 'host', arg: 'ADDRESS', key: 'host', kind: 'string', group: 'output', help: 'address to listen on (default 0.0.0.0: reachable on the LAN)' },
  { flag: 'port', key: 'port', kind: 'int', group: 'output', help: 'port (0 = any free port; serve defaults to 8475)' },
  { flag: 'report', arg: 'FILE', key: 'report', kind: 'string', group: 'output', help: 'write the JSON report here (default runs/<run id>/report.json); serve: its folder holds the session, and a folder given here (DIR/) shows that session again' },
  { flag: 'init-from', arg: 'DIR', key: 'initFrom', kind: 'string', group: 'model', help: 'start from an exported model directory (model.json + weights.bin)' },
  { flag: 'export', arg: 'DIR', key: 'export', kind: 'string', group: 'output', help: 'write the final model here (model.json + weights.bin, tfjs layers format)' },
  { flag: 'checkpoint-dir', arg: 'DIR', key: 'checkpointDir', kind: 'string', group: 'output', help: 'write checkpoints (and the join token) here; needed by --resume' },
  { flag: 'checkpoint-every', key: 'checkpointEvery', kind: 'int', group: 'output', help: 'checkpoint every N steps (0 = only on Ctrl-C / SIGTERM)' },
  { flag: 'checkpoint-keep', key: 'checkpointKeep', kind: 'int', group: 'output', help: 'keep the newest N checkpoints (default 3)' },
  { flag: 'resume', key: 'resume', kind: 'bool', group: 'output', help: 'continue from the newest valid checkpoint in --checkpoint-dir, with the same join link' },
  { flag: 'join', arg: 'URL', key: 'join', kind: 'string', group: 'fleet', help: 'peer: the join link of a coordinator to work for' },
  { flag: 'attack', key: 'attack', kind: 'string', group: 'fleet', help: 'peer: compute for real, then attack: sign-flip | scale:K | noise | alie | ipm | nan | silent (READY, never answers) | liar (fakes speed and evaluation); see README "Untrusted fleets"' },
  { flag: 'exit-when-done', key: 'exitWhenDone', kind: 'bool', group: 'output', help: 'serve: exit when training ends' },
  { flag: 'progress-seconds', key: 'progressSeconds', kind: 'number', group: 'output', help: 'seconds between progress lines (default 5)' },
];

