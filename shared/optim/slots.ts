import { fail } from '../errors';
import type { OptimizerName, OptimizerState } from './types';

/**
 * Per-parameter optimizer slots (m, v, accum ...): checking a step's inputs,
 * copying slots out for a checkpoint and loading them back in.
 */

interface SlotOwner {
  readonly name: OptimizerName;
  readonly size: number;
}

/** params and grad must both be the optimizer's size; anything else is a bug upstream. */
export function checkStep(owner: SlotOwner, params: Float32Array, grad: Float32Array): void {
  if (params.length !== owner.size || grad.length !== owner.size) {
    throw fail('INTERNAL', `${owner.name}: step got params of length ${params.length} and grad of length ${grad.length}, optimizer was built for ${owner.size}`);
  }
}

/** Copies, so a saved state never changes under the caller when training goes on. */
export function copySlots(slots: Record<string, Float32Array>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(slots)) out[k] = v.slice();
  return out;
}

/**
 * Checks a saved state against this optimizer, then copies its slots into the
 * live arrays and returns its step count. Checks everything before writing
 * anything, so a refused state leaves the optimizer as it was.
 */
export function loadSlots(owner: SlotOwner, state: OptimizerState, live: Record<string, Float32Array>): number {
  const refuse = (why: string): never => {
    throw fail('CONFIG_INVALID', `${owner.name}: cannot load optimizer state: ${why}`);
  };
  if (state.name !== owner.name) {
    refuse(`it was saved by '${String(state.name)}'; resume with optimizer '${String(state.name)}' or start without the saved state`);
  }
  if (typeof state.t !== 'number' || !Number.isSafeInteger(state.t) || state.t < 0) {
    refuse(`t (steps taken) must be a whole number >= 0, got ${String(state.t)}`);
  }
  const want = Object.keys(live).sort();
  const got = Object.keys(state.slots ?? {}).sort();
  if (want.join(',') !== got.join(',')) {
    refuse(`slots are [${got.join(', ')}], expected [${want.join(', ')}] (was it saved with other settings, e.g. centered?)`);
  }
  for (const k of want) {
    const s = state.slots[k];
    if (!(s instanceof Float32Array)) refuse(`slot '${k}' is not a Float32Array`);
    else if (s.length !== owner.size) {
      refuse(`slot '${k}' has ${s.length} entries but the model has ${owner.size} parameters; the checkpoint is for another model`);
    }
  }
  for (const k of want) live[k]!.set(state.slots[k]!);
  return state.t;
}
