import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What a person sees when the input is wrong: one line naming the file, the
 * line or offset and the problem, and exit code 2; nothing starts.
 */
function tabtrain(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('node', ['bin/tabtrain.mjs', 'run', '--peers', '0', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

const dir = mkdtempSync(join(tmpdir(), 'tabtrain-cli-'));

describe('bad input: a one-line error and exit code 2', () => {
  it('a CSV with a non-numeric cell names the file, the line and the column', () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'a,b,label\n1,2,0\n3,oops,1\n');
    const r = tabtrain(['--dataset', `csv:${file}`, '--label', 'label']);
    expect(r.status).toBe(2);
    const lines = r.out.split('\n').filter((l) => l.startsWith('tabtrain:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('bad.csv');
    expect(lines[0]).toMatch(/line 3, column "b"/);
    expect(lines[0]).toContain('oops');
  });

  it('a label column that does not exist', () => {
    const file = join(dir, 'ok.csv');
    writeFileSync(file, 'a,b,label\n1,2,0\n3,4,1\n');
    const r = tabtrain(['--dataset', `csv:${file}`, '--label', 'species']);
    expect(r.status).toBe(2);
    expect(r.out).toContain('species');
  });

  it('an IDX file with a wrong magic number names the file and the byte offset', () => {
    const d = mkdtempSync(join(dir, 'idx-'));
    const bad = Buffer.alloc(16);
    bad.writeUInt32BE(0x12345678, 0);
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']) writeFileSync(join(d, f), bad);
    const r = tabtrain(['--dataset', `idx:${d}`]);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/magic/i);
    expect(r.out).toMatch(/train-images-idx3-ubyte byte 0/);
  });

  it('an unknown option value names the option and the accepted values', () => {
    const r = tabtrain(['--optimizer', 'adamax']);
    expect(r.status).toBe(2);
    expect(r.out).toContain('--optimizer');
    expect(r.out).toContain('adam');
  });
});
