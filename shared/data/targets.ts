import { splitRange, type Dataset, type SplitName } from './dataset';

/**
 * The total sum of squares of a regression split's targets about their
 * mean (per target column), the denominator of R^2 = 1 - SSE / SST. The
 * coordinator holds the data, so it needs nothing from the peers for it.
 */
export function targetSumOfSquares(ds: Dataset, split: SplitName): number {
  if (ds.meta.task !== 'regression') return 0;
  const k = ds.meta.numClasses;
  const { start, end } = splitRange(ds.meta, split);
  const n = end - start;
  if (n === 0) return 0;
  let sst = 0;
  for (let j = 0; j < k; j++) {
    let mean = 0;
    for (let i = start; i < end; i++) mean += ds.labels[i * k + j]!;
    mean /= n;
    for (let i = start; i < end; i++) sst += (ds.labels[i * k + j]! - mean) ** 2;
  }
  return sst;
}
