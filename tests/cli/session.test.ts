import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/parse';
import type { Config } from '../../shared/config/schema';
import type { TrainingCoordinator } from '../../coordinator/run/coordinator';
import { ClassSession } from '../../coordinator/session/classSession';
import { attachSessionRoutes } from '../../coordinator/session/sessionRoutes';

/**
 * A class session keeps every run on disk under its folder and serves each
 * run's report and exported model to the dashboard: over real HTTP, with a
 * session restarted from the folder, and with the real command line (a node
 * peer, a run interrupted by Ctrl-C and continued by `serve --resume`).
 */
const report = (dataset: string, exitReason: string | null): Record<string, unknown> => ({
  runId: `r-${dataset}`,
  config: { dataset, model: 'mlp', optimizer: 'adam', lr: 0.01, batchSize: 32, mode: 'sync', epochs: 2, samples: 300 },
  steps: 4,
  wallSeconds: 1,
  samplesPerSec: 100,
  history: [1, 2, 3, 4].map((step) => ({ step, epoch: 0, t: step / 4, loss: 1 / step })),
  evals: [],
  final: { testAccuracy: exitReason === 'completed' ? 0.9 : null, testLoss: null },
  exitReason,
});

/** What attach() and summaries() read of a run: nothing is running. */
const idle = { state: 'done', history: [], evaluator: { evals: [], final: { testAccuracy: null, testLoss: null } }, stop: () => undefined } as unknown as TrainingCoordinator;

const servers: { close: () => void }[] = [];
const procs: ChildProcess[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

async function serveSession(s: ClassSession): Promise<string> {
  const app = express();
  attachSessionRoutes(s, app, idle, 'secret');
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a session folder', () => {
  it("serves each run's report and exported model under the admin token, and a restarted session lists every run", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabtrain-session-'));
    const base = parseConfig({ dataset: 'xor', report: join(dir, 'report.json'), checkpointDir: join(dir, 'ckpt'), checkpointEvery: 5 });
    const s = new ClassSession(base, parseConfig, () => undefined);

    // Run 1 where the command line says, its model beside its report; run 2 in run-2/, checkpointed like run 1.
    const c1: Config = { ...base };
    const f1 = s.place(c1, 1);
    expect(f1).toEqual({ report: join(dir, 'report.json'), model: join(dir, 'model') });
    expect(c1.checkpointDir).toBe(join(dir, 'ckpt'));
    s.started(1, idle, f1);
    mkdirSync(f1.model!, { recursive: true });
    writeFileSync(join(f1.model!, 'model.json'), '{"format":"layers-model"}');
    writeFileSync(join(f1.model!, 'weights.bin'), Buffer.from([1, 2, 3, 4, 250]));
    writeFileSync(f1.report, JSON.stringify(report('xor', 'completed')));
    s.finished(1, report('xor', 'completed'));
    const c2 = parseConfig({ ...s.nextBase(), dataset: 'spiral', samples: 300 });
    const f2 = s.place(c2, 2);
    expect([c2.report, c2.export, c2.checkpointDir, c2.checkpointEvery]).toEqual([join(dir, 'run-2', 'report.json'), join(dir, 'run-2', 'model'), join(dir, 'run-2', 'checkpoints'), 5]);
    // Run 2 starts, a report snapshot is written while it trains, then the process dies (no final report).
    s.started(2, idle, f2);
    mkdirSync(join(dir, 'run-2'), { recursive: true });
    writeFileSync(f2.report, JSON.stringify(report('spiral', null)));

    const url = await serveSession(s);
    const get = (path: string, admin = 'secret'): Promise<Response> => fetch(`${url}${path}${admin ? `?admin=${admin}` : ''}`);
    const r1 = await get('/api/session/runs/1/report');
    expect(r1.status).toBe(200);
    expect(((await r1.json()) as { config: { dataset: string } }).config.dataset).toBe('xor');
    const m = await get('/api/session/runs/1/model/model.json');
    expect([m.status, m.headers.get('content-disposition')]).toEqual([200, 'attachment; filename="tabtrain-run-1-model.json"']);
    expect(await m.json()).toEqual({ format: 'layers-model' });
    const w = await get('/api/session/runs/1/model/weights.bin');
    expect([...new Uint8Array(await w.arrayBuffer())]).toEqual([1, 2, 3, 4, 250]);
    expect((await get('/api/session/runs/1/model/weights.bin', '')).status).toBe(403);
    expect((await get('/api/session/runs/1/model/report.json')).status).toBe(404);
    expect((await get('/api/session/runs/2/model/model.json')).status).toBe(404);

    // A new session on the same folder (a restarted serve) lists both runs; run 2 was interrupted and is the one --resume continues.
    const again = new ClassSession({ ...base, resume: true }, parseConfig, () => undefined);
    const url2 = await serveSession(again);
    const runs = (await (await fetch(`${url2}/api/session?admin=secret`)).json()) as { runs: { n: number; exitReason: string; files: { report: boolean; model: boolean } }[] };
    expect(runs.runs.map((r) => [r.n, r.exitReason, r.files.model])).toEqual([
      [1, 'completed', true],
      [2, 'interrupted', false],
    ]);
    const resumed = again.resumable();
    expect(resumed?.n).toBe(2);
    expect([resumed?.config.dataset, resumed?.config.samples, resumed?.config.report, resumed?.config.checkpointDir, resumed?.config.resume]).toEqual(['spiral', 300, join(dir, 'run-2', 'report.json'), join(dir, 'run-2', 'checkpoints'), true]);
    expect(again.nextNumber).toBe(3);
  });
});

/** Starts the real CLI and collects its lines; `until(re)` resolves with the first line matching. */
function cli(args: string[]): { lines: string[]; until: (re: RegExp) => Promise<string>; exit: Promise<unknown> } {
  const p = spawn('node', ['bin/tabtrain.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = '';
  const onData = (d: Buffer): void => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => x.re.test(line))) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    }
  };
  p.stdout!.on('data', onData);
  p.stderr!.on('data', onData);
  const until = (re: RegExp): Promise<string> => {
    const seen = lines.find((l) => re.test(l));
    return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ re, resolve }));
  };
  return { lines, until, exit: once(p, 'exit') };
}

describe('serve --resume', () => {
  it('continues a later run of the session with its own settings and checkpoints, and lists every run', async () => {
    // A session folder whose run 1 is over (written as a finished serve leaves it).
    const dir = mkdtempSync(join(tmpdir(), 'tabtrain-session-cli-'));
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report('xor', 'completed')));
    writeFileSync(join(dir, 'session.json'), JSON.stringify({ runs: [{ n: 1, report: 'report.json' }] }));
    const flags = ['--host', '127.0.0.1', '--port', '0', '--samples', '1000', '--batch-size', '16', '--epochs', '2', '--node-peers', '1', '--progress-seconds', '600', '--checkpoint-dir', join(dir, 'ckpt'), '--checkpoint-every', '10', '--report', `${dir}/`];
    // serve pointed at the folder: this is run 2 (circles), checkpointed in run-2/; Ctrl-C after its first checkpoint.
    const first = cli(['serve', ...flags, '--dataset', 'circles']);
    await first.until(/^checkpoint step \d+ \(periodic\) -> .*run-2/);
    procs[0]!.kill('SIGINT');
    await first.exit;
    expect(existsSync(join(dir, 'run-2', 'report.json'))).toBe(true);

    // Restarted with --resume (and another --dataset): run 2 goes on where it stopped, as circles.
    const second = cli(['serve', ...flags, '--dataset', 'xor', '--resume']);
    expect(await second.until(/^resumed from .*run-2/)).toMatch(/step \d+\/100,/);
    await second.until(/training is over/);
    const dash = new URL((await second.until(/^dashboard: /)).slice('dashboard: '.length));
    const s = (await (await fetch(`http://127.0.0.1:${dash.port}/api/session?admin=${dash.searchParams.get('admin')}`)).json()) as { runs: { n: number; exitReason: string; steps: number; settings: { dataset: string }; files: { model: boolean } }[] };
    expect(s.runs.map((r) => [r.n, r.settings.dataset, r.exitReason, r.steps, r.files.model])).toEqual([
      [1, 'xor', 'completed', 4, false],
      [2, 'circles', 'completed', 100, true],
    ]);
    const r2 = JSON.parse(readFileSync(join(dir, 'run-2', 'report.json'), 'utf8')) as { checkpoints: { resumedFrom: { step: number } | null; dir: string } };
    expect(r2.checkpoints.resumedFrom?.step).toBeGreaterThan(0);
    expect(r2.checkpoints.dir).toBe(join(dir, 'run-2', 'checkpoints'));
    expect(existsSync(join(dir, 'run-2', 'model', 'weights.bin'))).toBe(true);
  }, 120_000);
});
