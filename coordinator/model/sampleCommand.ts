import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { nextCharFrom } from '../../client/trainer/textModel';
import { sampleText } from '../../shared/data/sampleText';
import { fail } from '../../shared/errors';
import '../tfjsNode';

/**
 * `tabtrain sample --model DIR [--prefix TEXT] [--temperature T] [--count N] [--seed S] [--max-chars N]`:
 * text from an exported character model (model.json + weights.bin, the
 * vocabulary in its userDefinedMetadata), one sample per line. Sample k
 * uses seed S + k, so the same command prints the same lines.
 */
const textMeta = z.object({ vocab: z.array(z.string()).min(2), seqLen: z.number().int().positive() });

interface SampleArgs {
  model: string;
  prefix: string;
  temperature: number;
  count: number;
  seed: number;
  maxChars: number;
}

export const SAMPLE_USAGE = 'tabtrain sample --model DIR [--prefix TEXT] [--temperature 1] [--count 5] [--seed 1] [--max-chars 40]';

export function parseSampleArgs(argv: readonly string[]): SampleArgs {
  const out: SampleArgs = { model: '', prefix: '', temperature: 1, count: 5, seed: 1, maxChars: 40 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw fail('CONFIG_INVALID', `${flag} needs a value (usage: ${SAMPLE_USAGE})`);
    i++;
    const num = (lo: number, hi: number, integer: boolean): number => {
      const v = Number(value);
      if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) throw fail('CONFIG_INVALID', `${flag}: ${JSON.stringify(value)} is not ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`);
      return v;
    };
    if (flag === '--model') out.model = value;
    else if (flag === '--prefix') out.prefix = value;
    else if (flag === '--temperature') out.temperature = num(0, 10, false);
    else if (flag === '--count') out.count = num(1, 1000, true);
    else if (flag === '--seed') out.seed = num(0, 2 ** 32 - 1, true);
    else if (flag === '--max-chars') out.maxChars = num(1, 10000, true);
    else throw fail('CONFIG_INVALID', `unknown option ${flag} (usage: ${SAMPLE_USAGE})`);
  }
  if (!out.model) throw fail('CONFIG_INVALID', `--model DIR is needed (usage: ${SAMPLE_USAGE})`);
  return out;
}

/** Loads an export as plain tfjs does and returns its samples. */
export async function sampleFromExport(a: SampleArgs): Promise<string[]> {
  const file = join(a.model, 'model.json');
  if (!existsSync(file)) throw fail('DATA_NOT_FOUND', `--model: ${file} does not exist (export a charrnn run with --export DIR)`);
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const parsed = z
    .object({ modelTopology: z.record(z.string(), z.unknown()), weightsManifest: z.array(z.object({ weights: z.array(z.unknown()) })).min(1), userDefinedMetadata: z.object({ tabtrain: textMeta }).optional() })
    .safeParse(json);
  if (!parsed.success) throw fail('MODEL_INVALID', `${file}: not a tfjs layers model.json`);
  const meta = parsed.data.userDefinedMetadata?.tabtrain;
  if (!meta) throw fail('MODEL_INVALID', `${file}: no vocabulary (userDefinedMetadata.tabtrain); it is not a tabtrain charrnn export`);
  const bin = readFileSync(join(a.model, 'weights.bin'));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: parsed.data.modelTopology,
      weightSpecs: parsed.data.weightsManifest[0]!.weights as tf.io.WeightsManifestEntry[],
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  );
  try {
    const next = nextCharFrom(model);
    return Array.from({ length: a.count }, (_, k) => sampleText(next, { vocab: meta.vocab, seqLen: meta.seqLen, prefix: a.prefix, temperature: a.temperature, seed: a.seed + k, maxChars: a.maxChars }));
  } finally {
    model.dispose();
  }
}

export async function runSample(argv: readonly string[]): Promise<number> {
  for (const line of await sampleFromExport(parseSampleArgs(argv))) console.log(line);
  return 0;
}
