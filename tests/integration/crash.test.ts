import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The real command line, crashed: `tabtrain serve` with checkpoints and a
 * separate `tabtrain peer` process (2 node peers, which outlive the
 * coordinator as tabs do). The coordinator is killed with SIGKILL mid-run and
 * restarted with --resume (peers reconnect by themselves, same join link),
 * then stopped with SIGTERM (it checkpoints on the way out) and resumed
 * again; the run ends with exact accounting and the peers' counters intact.
 */
const dir = mkdtempSync(join(tmpdir(), 'tabtrain-crash-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching `re` (already printed or to come). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, ['bin/tabtrain.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  let buf = '';
  const onData = (d: Buffer): void => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        const m = w.re.exec(line);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    lines,
    exited,
    waitFor: (re, ms = 60_000) =>
      new Promise((resolve, reject) => {
        for (const l of lines) {
          const m = re.exec(l);
          if (m) return resolve(m);
        }
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${lines.slice(-30).join('\n')}`)), ms);
        waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      }),
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function lastCheckpoint(lines: string[]): number {
  let s = -1;
  for (const l of lines) {
    const m = /^checkpoint step (\d+) /.exec(l);
    if (m) s = Math.max(s, Number(m[1]));
  }
  return s;
}

/** The highest step a coordinator printed (progress and checkpoint lines). */
function lastStep(lines: string[]): number {
  let s = 0;
  for (const l of lines) {
    const m = /^(?:step|checkpoint step) (\d+)/.exec(l);
    if (m) s = Math.max(s, Number(m[1]));
  }
  return s;
}

describe('coordinator crash and restart (real CLI)', () => {
  it('kill -9, --resume, SIGTERM, --resume: peers reconnect, the run ends with exact accounting', async () => {
    const port = await freePort();
    const report = join(dir, 'report.json');
    const args = ['serve', '--host', '127.0.0.1', '--port', String(port), '--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--epochs', '1', '--batch-size', '50', '--min-peers', '2',
      '--checkpoint-dir', join(dir, 'ck'), '--checkpoint-every', '25', '--exit-when-done', '--progress-seconds', '0.1', '--report', report];
    const first = start(args);
    const join_ = (await first.waitFor(/^join: (\S+)/))[1]!;
    const peers = start(['peer', '--join', join_, '--node-peers', '2']);

    // 1. Crash: SIGKILL right after the checkpoint of step 50, so some steps are lost.
    await first.waitFor(/^checkpoint step 50 /);
    await first.waitFor(/^step (5[3-9]|[6-9]\d|1\d\d)\//);
    first.child.kill('SIGKILL');
    const killedAt = performance.now();
    await first.exited;
    const crashedAt = lastStep(first.lines);

    // 2. Resume: same port, same join link (token kept in the checkpoint dir); the peer process reconnects.
    const second = start([...args, '--resume']);
    const resumed = Number((await second.waitFor(/^resumed from \S+ckpt-0+(\d+)\.ttck: step/))[1]);
    expect(resumed).toBe(lastCheckpoint(first.lines)); // the newest one written before the kill (50, or 75 on a slow machine)
    expect((await second.waitFor(/^join: (\S+)/))[1]).toBe(join_);
    await second.waitFor(/^peer p\d+ \(.*\) reconnected/);
    const backAfter = (performance.now() - killedAt) / 1000;
    // 3. Graceful stop mid-run: SIGTERM writes a checkpoint of the current position.
    await second.waitFor(/^step (8\d|9\d|1\d\d)\//);
    second.child.kill('SIGTERM');
    const sigCk = Number((await second.waitFor(/^checkpoint step (\d+) \(signal\)/))[1]);
    expect(await second.exited).toBe(0);
    const stoppedAt = lastStep(second.lines);

    // 4. Resume again and finish.
    const third = start([...args, '--resume']);
    expect(Number((await third.waitFor(/^resumed from \S+ckpt-0+(\d+)\.ttck: step/))[1])).toBe(sigCk);
    expect(await third.exited).toBe(0);
    expect(await peers.exited).toBe(0);

    const r = JSON.parse(readFileSync(report, 'utf8')) as {
      steps: number;
      exitReason: string;
      accounting: { epochs: { epoch: number; samplesUsed: number; complete: boolean }[] };
      peers: { samples: number; connections: number; status: string }[];
      history: { step: number }[];
      final: { testAccuracy: number };
      checkpoints: { resumedFrom: { step: number } };
    };
    expect(r.exitReason).toBe('completed');
    expect(r.steps).toBe(160);
    expect(r.history.map((h) => h.step)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
    expect(r.accounting.epochs).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: 8000, complete: true })]);
    // Two peers, each back twice under its reconnect token; their samples add up to the epoch.
    expect(r.peers).toHaveLength(2);
    for (const p of r.peers) expect(p.connections).toBe(3);
    expect(r.peers.reduce((a, p) => a + p.samples, 0)).toBe(8000);
    expect(r.final.testAccuracy).toBeGreaterThan(0.85);
    expect(r.checkpoints.resumedFrom.step).toBe(sigCk);
    console.log(`crash test: SIGKILL at step ~${crashedAt}, resumed at ${resumed}: ${crashedAt - resumed} steps lost; SIGTERM at step ${stoppedAt}, resumed at ${sigCk}: ${stoppedAt - sigCk} steps lost; peers back ${backAfter.toFixed(1)} s after the kill`);
  }, 120_000);
});
