import { fail } from '../errors';
import { parseCompress } from '../compress/spec';
import { parseWeightsCodec } from '../compress/weightsCodec';
import { configSchema, DEFAULT_LR, type Config } from './schema';

/**
 * Validates a config at the boundary (CLI flags merged over a config file)
 * and refuses contradictions, hivemind-style, before anything starts.
 */
export function parseConfig(input: unknown): Config {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(config)';
    throw fail('CONFIG_INVALID', `${field}: ${issue.message}`);
  }
  const c = parsed.data;
  const sum = c.split[0] + c.split[1] + c.split[2];
  if (Math.abs(sum - 1) > 1e-6 || c.split.some((x) => x < 0)) {
    throw fail('CONFIG_INVALID', `split: fractions must be >= 0 and sum to 1, got ${c.split.join(',')}`);
  }
  if (c.split[0] === 0) throw fail('CONFIG_INVALID', 'split: the training fraction must be > 0');
  if (c.peers + c.nodePeers === 0 && c.minPeers < 1) {
    throw fail('CONFIG_INVALID', 'min-peers: must be at least 1');
  }
  parseCompress(c.compress);
  parseWeightsCodec(c.weightsCodec);
  if (c.checkpointEvery > 0 && !c.checkpointDir) {
    throw fail('CONFIG_INVALID', 'checkpointEvery: needs --checkpoint-dir DIR to write the checkpoints to');
  }
  if (c.resume && !c.checkpointDir) {
    throw fail('CONFIG_INVALID', 'resume: needs --checkpoint-dir DIR to know where the checkpoints are');
  }
  return c;
}

export function learningRate(c: Config): number {
  return c.lr ?? DEFAULT_LR[c.optimizer];
}
