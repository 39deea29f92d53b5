import { describe, expect, it } from 'vitest';
import { datasetHash, decodeDataset, encodeDataset } from '../../shared/data/codec';
import type { Dataset } from '../../shared/data/dataset';
import { TabtrainError } from '../../shared/errors';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Two 2-pixel u8 samples, one train and one val. */
function tiny(): Dataset {
  return {
    meta: { name: 't', task: 'classification', inputShape: [2], numClasses: 2, featureType: 'u8', splits: { train: 1, val: 1, test: 0 } },
    features: new Uint8Array([1, 2, 3, 4]),
    labels: new Uint16Array([0, 1]),
  };
}

function regressionSet(): Dataset {
  return {
    meta: { name: 'r', task: 'regression', inputShape: [3], numClasses: 2, featureType: 'f32', splits: { train: 2, val: 1, test: 1 } },
    features: Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 3),
    labels: Float32Array.from({ length: 8 }, (_, i) => -i / 7),
  };
}

function expectDataInvalid(f: () => unknown, ...parts: string[]): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TabtrainError);
    expect((e as TabtrainError).code).toBe('DATA_INVALID');
    for (const p of parts) expect((e as TabtrainError).message).toContain(p);
    return;
  }
  throw new Error('expected DATA_INVALID');
}

describe('dataset codec', () => {
  it('golden bytes of a tiny dataset', () => {
    const bytes = encodeDataset(tiny());
    const json = '{"name":"t","task":"classification","inputShape":[2],"numClasses":2,"featureType":"u8","splits":{"train":1,"val":1,"test":0}}';
    expect(json.length).toBe(125);
    // "TTDS", version 1 (u32 LE), header length 125 = 0x7d (u32 LE)
    expect(hex(bytes.subarray(0, 12))).toBe('54544453' + '01000000' + '7d000000');
    expect(hex(bytes.subarray(12, 137))).toBe(Buffer.from(json).toString('hex'));
    // 12 + 125 = 137, padded to 140; features at 140; labels (u16 LE) at 144; 148 bytes in all
    expect(hex(bytes.subarray(137))).toBe('000000' + '01020304' + '0000' + '0100');
    expect(bytes.length).toBe(148);
  });

  it('round-trips classification and regression datasets', () => {
    for (const ds of [tiny(), regressionSet()]) {
      const back = decodeDataset(encodeDataset(ds));
      expect(back.meta).toEqual(ds.meta);
      expect(back.features).toEqual(ds.features);
      expect(back.labels).toEqual(ds.labels);
    }
    const named = { ...tiny(), meta: { ...tiny().meta, classNames: ['cat', 'dög'] } };
    expect(decodeDataset(encodeDataset(named)).meta.classNames).toEqual(['cat', 'dög']);
  });

  it('decodes aligned input as views (zero-copy) and misaligned input as copies', () => {
    const bytes = encodeDataset(regressionSet());
    const aligned = decodeDataset(bytes);
    expect(aligned.features.buffer).toBe(bytes.buffer);
    expect(aligned.labels.buffer).toBe(bytes.buffer);

    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const copied = decodeDataset(shifted);
    expect(copied.features.buffer).not.toBe(shifted.buffer);
    expect(copied.features).toEqual(regressionSet().features);
    expect(copied.labels).toEqual(regressionSet().labels);
  });

  it('is deterministic: the same dataset gives the same hash', async () => {
    const a = await datasetHash(encodeDataset(tiny()));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await datasetHash(encodeDataset(tiny()))).toBe(a);
    expect(await datasetHash(encodeDataset(regressionSet()))).not.toBe(a);
  });

  it('rejects a wrong magic at byte 0', () => {
    const bytes = encodeDataset(tiny());
    bytes[0] = 0x58;
    expectDataInvalid(() => decodeDataset(bytes, 'ds.bin'), 'ds.bin byte 0', 'magic is 0x58544453', 'TTDS');
  });

  it('rejects another format version at byte 4', () => {
    const bytes = encodeDataset(tiny());
    bytes[4] = 2;
    expectDataInvalid(() => decodeDataset(bytes), 'byte 4', 'format version 2');
  });

  it('rejects truncation anywhere with the offset where the file ends', () => {
    const bytes = encodeDataset(tiny());
    expectDataInvalid(() => decodeDataset(bytes.subarray(0, 8)), 'byte 8: truncated');
    expectDataInvalid(() => decodeDataset(bytes.subarray(0, 100)), 'byte 8', 'header length 125 runs past');
    expectDataInvalid(() => decodeDataset(bytes.subarray(0, 146)), 'byte 146: truncated', 'need 148 bytes');
  });

  it('rejects trailing bytes and non-zero padding', () => {
    const bytes = encodeDataset(tiny());
    const longer = new Uint8Array(bytes.length + 2);
    longer.set(bytes);
    expectDataInvalid(() => decodeDataset(longer), 'byte 148', '2 unexpected bytes');
    const padded = bytes.slice();
    padded[138] = 7;
    expectDataInvalid(() => decodeDataset(padded), 'byte 138', 'padding');
  });

  it('rejects a header that breaks the schema', () => {
    const ds = tiny();
    const bytes = encodeDataset(ds);
    // same length, so only the schema can object: "u8" -> "u9"
    const s = Buffer.from(bytes).toString('latin1').replace('"u8"', '"u9"');
    expectDataInvalid(() => decodeDataset(new Uint8Array(Buffer.from(s, 'latin1'))), 'byte 12', 'featureType');
  });

  it('rejects a label out of range with its byte offset', () => {
    const bytes = encodeDataset(tiny());
    bytes[146] = 2; // second label, u16 LE at 144 + 2
    expectDataInvalid(() => decodeDataset(bytes), 'byte 146', 'label 2 of sample 1', '2 classes');
  });

  it('rejects non-finite floats', () => {
    const bytes = encodeDataset(regressionSet());
    const dv = new DataView(bytes.buffer);
    const featAt = bytes.length - 8 * 4 - 12 * 4;
    dv.setFloat32(featAt + 4 * 5, NaN, true);
    expectDataInvalid(() => decodeDataset(bytes), `byte ${featAt + 20}`, 'not finite');
  });

  it('refuses to encode arrays that do not match the meta', () => {
    const ds = tiny();
    expectDataInvalid(() => encodeDataset({ ...ds, features: new Uint8Array(3) }), '3 feature values');
    expectDataInvalid(() => encodeDataset({ ...ds, labels: new Uint16Array([0, 5]) }), 'label 5');
    expectDataInvalid(() => encodeDataset({ ...ds, features: new Float32Array(4) }), 'featureType u8');
  });
});
