import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, decodeCheckpoint, encodeCheckpoint } from '../../coordinator/checkpoint/checkpointFormat';
import { CheckpointStore } from '../../coordinator/checkpoint/checkpointStore';

/** The file format and the directory of checkpoints: round trip, damage detection, atomic saves, keep-K, fallback. */
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tabtrain-ck-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sample = (step: number) => ({
  meta: { step, name: 'run', nested: { list: [1, 2, 3], nothing: null } },
  tensors: { weights: Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i) * step), 'optimizer.m': new Float32Array([1.5, -2.25]), pending: Uint32Array.of(7, 4294967295, 0) },
});

describe('checkpoint format', () => {
  it('round-trips metadata and f32/u32 tensors bit for bit', () => {
    const c = sample(3);
    const bytes = encodeCheckpoint(c);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x54, 0x54, 0x43, 0x4b]);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(CHECKPOINT_FORMAT_VERSION);
    const back = decodeCheckpoint<typeof c.meta>(bytes, 'x');
    expect(back.meta).toEqual(c.meta);
    expect(back.tensors.weights).toEqual(c.tensors.weights);
    expect(back.tensors['optimizer.m']).toEqual(c.tensors['optimizer.m']);
    expect(back.tensors.pending).toBeInstanceOf(Uint32Array);
    expect(back.tensors.pending).toEqual(c.tensors.pending);
  });

  it('names truncation, a flipped byte, a foreign file and a newer format', () => {
    const bytes = encodeCheckpoint(sample(1));
    expect(() => decodeCheckpoint(bytes.subarray(0, 20), 'f')).toThrow(/CHECKPOINT|truncated: 20 bytes/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 5), 'f')).toThrow(/checkpoint f: truncated: the header announces/);
    const flipped = bytes.slice();
    flipped[flipped.length - 3]! ^= 0x10;
    expect(() => decodeCheckpoint(flipped, 'f')).toThrow(/checksum mismatch/);
    const foreign = bytes.slice();
    foreign[0] = 0x7b;
    expect(() => decodeCheckpoint(foreign, 'f')).toThrow(/not a tabtrain checkpoint/);
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(4, CHECKPOINT_FORMAT_VERSION + 1, true);
    expect(() => decodeCheckpoint(newer, 'f')).toThrow(/format version 2/);
    try {
      decodeCheckpoint(flipped, 'f');
    } catch (e) {
      expect((e as { code: string }).code).toBe('CHECKPOINT_INVALID');
    }
  });
});

describe('checkpoint store', () => {
  it('writes atomically (no temporary files left), keeps the newest K', () => {
    const d = tempDir();
    const store = new CheckpointStore(d, 2);
    for (const step of [5, 10, 15, 20]) store.save(step, sample(step));
    expect(readdirSync(d).sort()).toEqual(['ckpt-000000015.ttck', 'ckpt-000000020.ttck']);
    // A write cut short by kill -9 leaves only a temporary file: never loaded, cleaned up on resume.
    writeFileSync(join(d, 'ckpt-000000025.ttck.tmp-123-abcdef'), encodeCheckpoint(sample(25)).subarray(0, 77));
    expect(store.loadNewest<{ step: number }>()!.data.meta.step).toBe(20);
    expect(readdirSync(d).sort()).toEqual(['ckpt-000000015.ttck', 'ckpt-000000020.ttck']);
  });

  it('reports a truncated or corrupted newest checkpoint, sets it aside and uses the previous one', () => {
    const d = tempDir();
    const logs: string[] = [];
    const store = new CheckpointStore(d, 5, (l) => logs.push(l));
    for (const step of [5, 10, 15]) store.save(step, sample(step));
    const files = store.list();
    truncateSync(files[0]!.file, 100); // step 15: cut short by a crash mid-copy
    const b = readFileSync(files[1]!.file); // step 10: one flipped bit
    b[b.length - 1]! ^= 1;
    writeFileSync(files[1]!.file, b);
    const got = store.loadNewest<{ step: number }>()!;
    expect(got.data.meta.step).toBe(5);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/^CHECKPOINT_INVALID: checkpoint .*ckpt-000000015\.ttck: truncated: .*previous checkpoint is tried/);
    expect(logs[1]).toMatch(/ckpt-000000010\.ttck: checksum mismatch/);
    // Set aside, never loaded or pruned again; new saves go on from there.
    expect(readdirSync(d).filter((f) => f.endsWith('.corrupt'))).toHaveLength(2);
    expect(store.list().map((x) => x.step)).toEqual([5]);
  });

  it('is claimed by one live process at a time; a dead owner\'s lock is taken over', () => {
    const d = tempDir();
    writeFileSync(join(d, 'lock'), String(process.ppid)); // alive: the test runner's parent
    expect(() => new CheckpointStore(d).acquire()).toThrow(/is in use by another tabtrain \(pid \d+\)/);
    writeFileSync(join(d, 'lock'), '2147483646'); // no such process
    new CheckpointStore(d).acquire();
    expect(readFileSync(join(d, 'lock'), 'utf8')).toBe(String(process.pid));
  });

  it('keeps the join and admin tokens across a restart with resume, and issues new ones without', () => {
    const d = tempDir();
    const first = new CheckpointStore(d).tokens(false);
    expect(first.joinToken).toMatch(/^[0-9a-f]{16}$/);
    expect(new CheckpointStore(d).tokens(true)).toEqual(first);
    expect(new CheckpointStore(d).tokens(false).joinToken).not.toBe(first.joinToken);
  });
});
