import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** The command line as a person meets it: help, version, plain errors, exit codes. */
function tabtrain(args: string[]): { status: number | null; out: string; stdout: string } {
  const r = spawnSync('node', ['bin/tabtrain.mjs', ...args], { encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim(), stdout: r.stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'tabtrain-cmd-'));

describe('help and version', () => {
  it('no command prints the commands and exits 0', () => {
    const r = tabtrain([]);
    expect(r.status).toBe(0);
    for (const c of ['run', 'serve', 'peer', 'build']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).toContain('tabtrain COMMAND --help');
  });

  it('--version prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = tabtrain(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("each command's help lists only its options, with placeholders saying what they take", () => {
    const peer = tabtrain(['peer', '--help']).stdout;
    expect(peer).toContain('--join URL');
    expect(peer).not.toContain('--dataset');
    const run = tabtrain(['run', '--help']).stdout;
    expect(run).toContain('--config FILE');
    expect(run).toContain('--checkpoint-dir DIR');
    expect(run).toContain('--chromium FILE');
    expect(run).not.toContain('--join');
    expect(run).not.toContain('VALUE');
    const serve = tabtrain(['serve', '--help']).stdout;
    expect(serve).not.toContain('--peers ');
    expect(serve).toContain('--min-peers N');
  });
});

describe('mistakes: one line in plain words, exit 2', () => {
  it.each([
    [['run', '--peers', '-1'], '--peers: must be 0 or more'],
    [['run', '--lr', '0'], '--lr: must be more than 0'],
    [['run', '--peers', '65'], '--peers: must be 64 or less'],
    [['serve', '--peers', '2'], '--peers does not apply to tabtrain serve'],
    [['run', '--peers', '1', '--chromium', '/no/such/chromium'], '--chromium: no Chromium at /no/such/chromium'],
  ])('%j', (args, message) => {
    const r = tabtrain(args);
    expect(r.status).toBe(2);
    expect(r.out.startsWith(`tabtrain: ${message}`)).toBe(true);
    expect(r.out.split('\n')).toHaveLength(1);
    expect(r.out).not.toMatch(/Too small|Too big|expected number/);
  });
});

describe('a port in use', () => {
  let blocker: Server;
  afterAll(() => blocker?.close());
  it('is a one-line error naming the port, exit 2', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const r = tabtrain(['serve', '--host', '127.0.0.1', '--port', String(port), '--dataset', 'xor']);
    expect(r.status).toBe(2);
    const errors = r.out.split('\n').filter((l) => l.startsWith('tabtrain:'));
    expect(errors).toEqual([expect.stringContaining(`port ${port} is already in use`)]);
    expect(r.out).not.toMatch(/^\s+at /m);
  });
});

describe('serve with no peers of its own', () => {
  it('says it waits for volunteers and how they join', async () => {
    const p = spawn('node', ['bin/tabtrain.mjs', 'serve', '--host', '127.0.0.1', '--port', '0', '--dataset', 'xor'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      p.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^waiting for volunteers.*$/m.exec(out);
        if (m) resolve(m[0]);
      });
      p.on('exit', () => reject(new Error(`exited before waiting: ${out}`)));
    });
    p.kill('SIGKILL');
    expect(line).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/\?t=\w+ in a browser/);
    expect(line).toContain('QR code');
  });
});

describe('node peers of `run`', () => {
  it('train in their own processes under the names node-1, node-2; epochs in the report match the console', () => {
    const report = join(dir, 'r.json');
    // --min-peers 2: each peer process loads tfjs on its own; a 14-step run could end before the slower one is ready.
    const r = tabtrain(['run', '--dataset', 'xor', '--peers', '0', '--node-peers', '2', '--min-peers', '2', '--steps', '14', '--report', report]);
    expect(r.status).toBe(0);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { peers: { nickname: string; samples: number }[]; evals: { epochNumber: number; split: string }[] };
    expect(rep.peers.map((p) => p.nickname).sort()).toEqual(['node-1', 'node-2']);
    expect(rep.peers.every((p) => p.samples > 0)).toBe(true);
    const printed = [...r.out.matchAll(/^epoch (\d+) step/gm)].map((m) => Number(m[1]));
    expect(printed.length).toBeGreaterThan(0);
    const numbered = rep.evals.filter((e) => e.split === 'val').map((e) => e.epochNumber);
    for (const n of printed) expect(numbered).toContain(n);
  });
});

describe('compare and report', () => {
  it('compare runs each --config on the same node peers and writes one comparison', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify({ dataset: 'xor', optimizer: 'adam', lr: 0.01, steps: 8, batchSize: 64 }));
    writeFileSync(b, JSON.stringify({ dataset: 'xor', optimizer: 'sgd', lr: 0.1, steps: 8, batchSize: 64 }));
    const out = join(dir, 'cmp', 'x.json');
    const r = tabtrain(['compare', '--config', a, '--config', b, '--peers', '0', '--node-peers', '1', '--report', out]);
    expect(r.status).toBe(0);
    const c = JSON.parse(readFileSync(join(dir, 'cmp', 'comparison.json'), 'utf8')) as { runs: { label: string; steps: number }[] };
    expect(c.runs.map((x) => [x.label, x.steps])).toEqual([
      ['#1 xor mlp adam lr 0.01 batch 64 sync', 8],
      ['#2 xor mlp sgd lr 0.1 batch 64 sync', 8],
    ]);
    expect(readFileSync(join(dir, 'cmp', 'comparison-loss.svg'), 'utf8')).toContain('<svg');
    // One fleet: the second run was done by the same node peer process (it reconnected).
    const second = JSON.parse(readFileSync(join(dir, 'cmp', 'run-2', 'report.json'), 'utf8')) as { peers: { nickname: string; samples: number }[] };
    expect(second.peers.filter((p) => p.samples > 0).map((p) => p.nickname)).toEqual(['node-1']);
  });

  it('report with a file that is not a report: one line, exit 2', () => {
    const f = join(dir, 'not-a-report.json');
    writeFileSync(f, '{"hello": 1}');
    const r = tabtrain(['report', f]);
    expect(r.status).toBe(2);
    expect(r.out).toBe(`tabtrain: report: ${f} is not a tabtrain report (no history or config)`);
  });
});
