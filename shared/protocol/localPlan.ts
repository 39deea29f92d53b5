import { fail } from '../errors';
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/types';

/**
 * The plan of a local-steps task (--mode local, TaskKind.LOCAL): the peer
 * installs the round's weights, runs H inner steps with its own optimizer,
 * step h on `steps[h]` (its share of global batch h), and answers with a GRAD
 * whose "gradient" is (start weights - end weights) x sample count.
 *
 * It travels in the TASK's index block, so the frame layout is unchanged:
 *   u32 H   f32 lr   u32 optimizer (index in OPTIMIZER_NAMES)   f32 momentum
 *   f32 beta1   f32 beta2   f32 epsilon   f32 weight decay   u32[H] step sizes
 *   then the step-major sample indices (sum of the step sizes).
 */
export interface InnerOptimizer {
  name: OptimizerName;
  lr: number;
  momentum: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export interface LocalPlan {
  inner: InnerOptimizer;
  /** Each inner step's sample indices. */
  steps: Uint32Array[];
}

/** Words of the plan before its H step sizes (H, lr, optimizer, momentum, beta1, beta2, epsilon, weight decay). */
export const LOCAL_PLAN_FIXED_WORDS = 8;
const FIXED = LOCAL_PLAN_FIXED_WORDS;
/** Inner steps in one task, at most. */
export const MAX_LOCAL_STEPS = 100_000;

export function packLocalPlan(inner: InnerOptimizer, steps: readonly Uint32Array[]): Uint32Array {
  const total = steps.reduce((n, s) => n + s.length, 0);
  const out = new Uint32Array(FIXED + steps.length + total);
  const f = new Float32Array(out.buffer);
  out[0] = steps.length;
  f[1] = inner.lr;
  out[2] = OPTIMIZER_NAMES.indexOf(inner.name);
  f[3] = inner.momentum;
  f[4] = inner.beta1;
  f[5] = inner.beta2;
  f[6] = inner.epsilon;
  f[7] = inner.weightDecay;
  let at = FIXED + steps.length;
  steps.forEach((s, h) => {
    out[FIXED + h] = s.length;
    out.set(s, at);
    at += s.length;
  });
  return out;
}

/** The plan in a LOCAL task's index block; a malformed block is a FRAME_INVALID error. */
export function unpackLocalPlan(block: Uint32Array): LocalPlan {
  const bad = (why: string): never => {
    throw fail('FRAME_INVALID', `local-steps TASK: ${why}`);
  };
  if (block.length < FIXED) bad(`index block of ${block.length} values is shorter than the plan header`);
  const f = new Float32Array(block.buffer, block.byteOffset, block.length);
  const h = block[0]!;
  if (h < 1 || h > MAX_LOCAL_STEPS || block.length < FIXED + h) bad(`${h} inner steps in a block of ${block.length} values`);
  const name = OPTIMIZER_NAMES[block[2]!];
  if (!name) bad(`optimizer ${block[2]} is not one of ${OPTIMIZER_NAMES.length}`);
  const inner: InnerOptimizer = { name: name!, lr: f[1]!, momentum: f[3]!, beta1: f[4]!, beta2: f[5]!, epsilon: f[6]!, weightDecay: f[7]! };
  if (![inner.lr, inner.momentum, inner.beta1, inner.beta2, inner.epsilon, inner.weightDecay].every(Number.isFinite) || inner.lr <= 0) bad('optimizer settings are not finite, or the learning rate is not positive');
  const steps: Uint32Array[] = [];
  let at = FIXED + h;
  for (let i = 0; i < h; i++) {
    const n = block[FIXED + i]!;
    if (at + n > block.length) bad(`step ${i} of ${n} samples runs past the block`);
    steps.push(block.subarray(at, at + n));
    at += n;
  }
  if (at !== block.length) bad(`${block.length - at} values after the last step`);
  return { inner, steps };
}
