import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdxDir, parseIdx } from '../../coordinator/datasets/idx';
import { TabtrainError } from '../../shared/errors';

const root = mkdtempSync(join(tmpdir(), 'tabtrain-idx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An IDX file of u8: magic 0x0000 08 ndims, dims as u32 BE, then the data. */
function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const dv = new DataView(out.buffer);
  out.set([0, 0, 8, dims.length]);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** n images of rows x cols; image k is filled with the value `first + k`. */
const images = (n: number, rows: number, cols: number, first: number): Uint8Array =>
  idx([n, rows, cols], Array.from({ length: n * rows * cols }, (_, i) => first + Math.floor(i / (rows * cols))));

function mkdir(name: string, files: Record<string, Uint8Array>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), bytes);
  return dir;
}

function standard(gz: boolean, over: Record<string, Uint8Array> = {}): Record<string, Uint8Array> {
  const z = (b: Uint8Array): Uint8Array => (gz ? gzipSync(b) : b);
  const ext = gz ? '.gz' : '';
  const files: Record<string, Uint8Array> = {
    [`train-images-idx3-ubyte${ext}`]: z(images(5, 4, 3, 10)),
    [`train-labels-idx1-ubyte${ext}`]: z(idx([5], [0, 1, 2, 1, 0])),
    [`t10k-images-idx3-ubyte${ext}`]: z(images(2, 4, 3, 20)),
    [`t10k-labels-idx1-ubyte${ext}`]: z(idx([2], [2, 2])),
  };
  return { ...files, ...over };
}

function thrown(f: () => unknown): TabtrainError {
  try {
    f();
  } catch (e) {
    if (e instanceof TabtrainError) return e;
    throw e;
  }
  throw new Error('expected a TabtrainError');
}

describe('IDX loader', () => {
  it.each([false, true])('merges train and t10k (gzipped: %s)', (gz) => {
    const ds = loadIdxDir(mkdir(`ok-${gz}`, standard(gz)));
    expect(ds.inputShape).toEqual([4, 3, 1]);
    expect(ds.featureType).toBe('u8');
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 1, 0, 2, 2]);
    expect(ds.numClasses).toBe(3);
    // image k is all (10 + k) for train, (20 + k) for t10k, appended after train
    expect(Array.from({ length: 7 }, (_, k) => ds.features[k * 12])).toEqual([10, 11, 12, 13, 14, 20, 21]);
    expect(ds.features.length).toBe(7 * 12);
  });

  it('parseIdx reads dims and data', () => {
    const a = parseIdx(idx([1, 2, 2], [1, 2, 3, 4]), 'm-idx3');
    expect(a.dims).toEqual([1, 2, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4]);
    expect(parseIdx(idx([3], [7, 8, 9]), 'm-idx1').dims).toEqual([3]);
  });

  it('rejects a wrong magic naming the file and byte 0', () => {
    const bytes = images(1, 2, 2, 0);
    bytes[2] = 0x0d; // float elements
    const e = thrown(() => loadIdxDir(mkdir('magic', standard(false, { 'train-images-idx3-ubyte': bytes }))));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toContain('train-images-idx3-ubyte byte 0');
    expect(e.message).toContain('0x00000d03');
    // labels where images are expected
    const swapped = thrown(() => loadIdxDir(mkdir('swap', standard(true, { 't10k-images-idx3-ubyte.gz': gzipSync(idx([2], [1, 1])) }))));
    expect(swapped.message).toContain('t10k-images-idx3-ubyte.gz byte 0: magic is 0x00000801, expected 0x00000803');
  });

  it('rejects truncation naming the file and the offset where it ends', () => {
    const full = images(5, 4, 3, 10);
    const e = thrown(() => loadIdxDir(mkdir('trunc', standard(true, { 'train-images-idx3-ubyte.gz': gzipSync(full.subarray(0, 50)) }))));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toContain('train-images-idx3-ubyte.gz byte 50: truncated');
    expect(e.message).toContain('need 60 data bytes from byte 16');
    const header = thrown(() => parseIdx(full.subarray(0, 10), 'x-idx3'));
    expect(header.message).toContain('x-idx3 byte 10: truncated in the header');
    const extra = thrown(() => parseIdx(idx([2], [1, 2, 3]), 'y-idx1'));
    expect(extra.message).toContain('y-idx1 byte 10: 1 unexpected bytes');
  });

  it('rejects image and label counts that differ', () => {
    const e = thrown(() => loadIdxDir(mkdir('count', standard(false, { 'train-labels-idx1-ubyte': idx([4], [0, 1, 2, 1]) }))));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toContain('5 images but train-labels-idx1-ubyte has 4 labels');
  });

  it('rejects a corrupt gzip and names a missing file', () => {
    const bad = thrown(() => loadIdxDir(mkdir('gz', standard(true, { 't10k-labels-idx1-ubyte.gz': new Uint8Array([0x1f, 0x8b, 1, 2, 3]) }))));
    expect(bad.code).toBe('DATA_INVALID');
    expect(bad.message).toContain('t10k-labels-idx1-ubyte.gz byte 0: not valid gzip');
    const files = standard(false);
    delete files['t10k-labels-idx1-ubyte'];
    const missing = thrown(() => loadIdxDir(mkdir('missing', files)));
    expect(missing.code).toBe('DATA_NOT_FOUND');
    expect(missing.message).toContain('t10k-labels-idx1-ubyte.gz');
    expect(thrown(() => loadIdxDir(join(root, 'nope'))).code).toBe('DATA_NOT_FOUND');
  });
});
