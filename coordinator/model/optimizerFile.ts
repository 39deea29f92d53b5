import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fail } from '../../shared/errors';
import { OPTIMIZER_NAMES, type OptimizerState } from '../../shared/optim/types';

/**
 * The optimizer's state beside an export (optimizer.json + optimizer.bin):
 * its step count and every per-parameter slot (Adam's moments, the momentum
 * velocity, AdaGrad's accumulator). `--init-from` loads it when the new run
 * uses the same optimizer, so continuing a run continues its optimizer too.
 * tfjs ignores these files; `tf.loadLayersModel` reads model.json alone.
 */
const manifest = z
  .object({
    format: z.literal('tabtrain-optimizer'),
    version: z.literal(1),
    name: z.enum(OPTIMIZER_NAMES),
    t: z.number().int().nonnegative(),
    size: z.number().int().nonnegative(),
    slots: z.array(z.object({ name: z.string().min(1), offset: z.number().int().nonnegative() }).strict()),
  })
  .strict();

export function writeOptimizerState(dir: string, state: OptimizerState): void {
  const names = Object.keys(state.slots).sort();
  const size = names.length > 0 ? state.slots[names[0]!]!.length : 0;
  const bin = new Float32Array(size * names.length);
  names.forEach((n, i) => bin.set(state.slots[n]!, i * size));
  const json = { format: 'tabtrain-optimizer', version: 1, name: state.name, t: state.t, size, slots: names.map((name, i) => ({ name, offset: i * size })) };
  writeFileSync(join(dir, 'optimizer.json'), JSON.stringify(json, null, 1));
  writeFileSync(join(dir, 'optimizer.bin'), new Uint8Array(bin.buffer));
}

/** The state saved in `dir`, or null when there is none. A damaged file is an error naming it. */
export function readOptimizerState(dir: string): OptimizerState | null {
  const jsonPath = join(dir, 'optimizer.json');
  const binPath = join(dir, 'optimizer.bin');
  if (!existsSync(jsonPath)) return null;
  let m: z.infer<typeof manifest>;
  try {
    m = manifest.parse(JSON.parse(readFileSync(jsonPath, 'utf8')));
  } catch (e) {
    throw fail('MODEL_INVALID', `${jsonPath}: not a tabtrain optimizer state (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const bytes = existsSync(binPath) ? readFileSync(binPath) : null;
  if (!bytes || bytes.byteLength !== 4 * m.size * m.slots.length) {
    throw fail('MODEL_INVALID', `${binPath}: expected ${4 * m.size * m.slots.length} bytes, found ${bytes ? bytes.byteLength : 'no file'}`);
  }
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const slots: Record<string, Float32Array> = {};
  for (const s of m.slots) slots[s.name] = all.slice(s.offset, s.offset + m.size);
  return { name: m.name, t: m.t, slots };
}
