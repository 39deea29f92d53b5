import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli, type CliRun } from './cli';

/**
 * Elastic training in real Chromium (issue 4): four WebGL tabs; two are
 * closed mid-training (one of them while it is computing its shard) and a
 * new tab opens. The run must complete with every training sample of every
 * epoch used exactly once, and reach the test accuracy of a clean run of the
 * same job (same seed, on Node peers) within 1 percentage point.
 *
 * The job is small so the spec stays cheap on two cores: 2,000 circles
 * points split 1,000 train / 200 val / 800 test (a large test set, so 1 pp
 * is 8 samples, not 2), a 32-32 MLP, Adam, global batch 64, 16 steps an
 * epoch, 6 epochs. Sync mode with a fixed seed walks the same batches in
 * the same order whatever the peers, and the averaged gradient of a step
 * does not depend on how the batch is cut into shards (up to float
 * rounding), so a clean and a faulty run follow nearly the same trajectory.
 * (With node peers this job ends at 0.975-0.978 test accuracy after 4, 5 or
 * 7 epochs: even a visibly different trajectory stays well within 1 pp.)
 */
const EPOCHS = 6;
const TRAIN = 1000;
const STEPS = EPOCHS * Math.ceil(TRAIN / 64);
const JOB = ['--dataset', 'circles', '--samples', '2000', '--split', '0.5,0.1,0.4', '--hidden', '32,32', '--lr', '0.01', '--batch-size', '64', '--epochs', String(EPOCHS), '--seed', '1'];

interface Peer {
  id: string;
  nickname: string;
  kind: string;
  backend: string;
  samples: number;
  steps: number;
  connections: number;
  status: string;
}
interface Epoch {
  epoch: number;
  samplesUsed: number;
  duplicatesDropped: number;
  reassigned: number;
  lateDropped: number;
  complete: boolean;
}
interface Report {
  exitReason: string;
  steps: number;
  epochs: number;
  wallSeconds: number;
  dataset: { train: number; test: number };
  peers: Peer[];
  final: { testAccuracy: number; testLoss: number };
  accounting: { epochs: Epoch[]; duplicatesDropped: number; reassigned: number; lateDropped: number };
}

/** The page's handle on its peer (client/volunteer/peerHost.ts): its test hook holds one training gradient back (see faultyRun). */
interface Held {
  tabtrain: { held: boolean; hold(action: 'arm' | 'release'): void };
}

const steps = (page: Page): Promise<number> => page.locator('#steps').textContent().then((t) => Number(t));
/** The run's global step, from the status the coordinator pushes to every tab each second ("training, step N, epoch E"). */
const globalStep = (page: Page): Promise<number> =>
  page
    .locator('#run-state')
    .textContent()
    .then((t) => Number(/step (\d+)/.exec(t ?? '')?.[1] ?? 0));

function serve(report: string): CliRun {
  return startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--min-peers', '4', '--exit-when-done', '--progress-seconds', '60', ...JOB, '--report', report]);
}

async function openTab(context: BrowserContext, joinUrl: string, name: string): Promise<Page> {
  const p = await context.newPage();
  await p.goto(`${joinUrl}&name=${name}`);
  return p;
}

/** The CLI's exit, or a failure naming the last lines it printed. */
async function exited(cli: CliRun, ms: number): Promise<number> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`coordinator still running after ${ms / 1000} s; last lines:\n${cli.lines.slice(-15).join('\n')}`)), ms));
  return Promise.race([cli.exit, timeout]);
}

function readReport(file: string): Report {
  return JSON.parse(readFileSync(file, 'utf8')) as Report;
}

/** Every epoch completed, each with exactly the training set's samples. */
function expectExactAccounting(r: Report): void {
  expect(r.exitReason).toBe('completed');
  expect(r.dataset.train).toBe(TRAIN);
  expect(r.epochs).toBe(EPOCHS);
  expect(r.accounting.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i));
  for (const e of r.accounting.epochs) {
    expect(e.samplesUsed, `epoch ${e.epoch} samplesUsed`).toBe(TRAIN);
    expect(e.complete, `epoch ${e.epoch} complete`).toBe(true);
  }
  // Each accepted shard is credited to exactly one peer: the peers' samples add up to the epochs' samples.
  expect(r.peers.reduce((a, p) => a + p.samples, 0)).toBe(EPOCHS * TRAIN);
}

function summary(label: string, r: Report): string {
  const a = r.accounting;
  const perEpoch = a.epochs.map((e) => `${e.epoch}:${e.samplesUsed}/r${e.reassigned}/d${e.duplicatesDropped}/l${e.lateDropped}`).join(' ');
  const peers = r.peers.map((p) => `${p.nickname}(${p.id},${p.backend},${p.status},samples ${p.samples},conn ${p.connections})`).join(' ');
  return (
    `[elastic] ${label}: testAccuracy ${r.final.testAccuracy.toFixed(4)} testLoss ${r.final.testLoss.toFixed(4)} steps ${r.steps} wall ${r.wallSeconds.toFixed(1)} s; ` +
    `accounting reassigned ${a.reassigned} duplicatesDropped ${a.duplicatesDropped} lateDropped ${a.lateDropped}; epochs [${perEpoch}]; peers ${peers}`
  );
}

/** Four tabs named `<prefix>-1..4`, each on WebGL. */
async function openFleet(context: BrowserContext, url: string, prefix: string): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 1; i <= 4; i++) pages.push(await openTab(context, url, `${prefix}-${i}`));
  for (const p of pages) await expect(p.locator('#backend')).toHaveText('webgl', { timeout: 60_000 });
  return pages;
}

/**
 * The reference: the same job (same seed, same batches in the same order) on
 * four Node peers, which start in seconds where four WebGL tabs take a minute
 * of shader compiles on two cores. Their tfjs CPU kernels round differently
 * from WebGL in the last digits; as above, that stays far inside 1 pp.
 */
async function cleanRun(dir: string): Promise<Report> {
  const file = join(dir, 'clean.json');
  const cli = startCli(['run', '--host', '127.0.0.1', '--port', '0', '--peers', '0', '--node-peers', '4', '--min-peers', '4', '--progress-seconds', '60', ...JOB, '--report', file]);
  try {
    expect(await exited(cli, 240_000)).toBe(0);
    const r = readReport(file);
    expectExactAccounting(r);
    expect(r.peers).toHaveLength(4);
    for (const p of r.peers) expect(p.kind).toBe('node');
    return r;
  } finally {
    cli.proc.kill('SIGKILL');
  }
}

async function faultyRun(browser: Browser, dir: string): Promise<{ r: Report; cli: CliRun; busyName: string }> {
  const file = join(dir, 'faulty.json');
  const cli = serve(file);
  const context = await browser.newContext();
  try {
    const url = local(await cli.joinUrl);
    const pages = await openFleet(context, url, 'tab');
    const [first, plain, ...others] = pages as [Page, Page, Page, Page];

    // tab-2 closes at an arbitrary moment a little way into the run, and a newcomer opens.
    await expect.poll(() => globalStep(first), { timeout: 90_000 }).toBeGreaterThanOrEqual(6);
    const plainClosedAt = await globalStep(first);
    await plain.close();
    const late = await openTab(context, url, 'tab-5');

    // A second tab closes while it holds a shard. The coordinator cuts shards
    // by measured speed and may give a tab nothing for a while, so tab-1, tab-3
    // and tab-4 are all armed: the first to finish computing a training shard
    // holds its gradient back (a slow laptop), its page showing 'computing'
    // with the coordinator waiting on that shard, and it is the one closed.
    // The others are disarmed; one that held too sends its gradient late.
    await expect.poll(() => globalStep(first), { timeout: 60_000 }).toBeGreaterThanOrEqual(20);
    const candidates = [first, ...others];
    for (const p of candidates) await p.evaluate(() => (window as unknown as Held).tabtrain.hold('arm'));
    const holding = (p: Page): Promise<Page> =>
      p.waitForFunction(() => (window as unknown as Held).tabtrain.held && document.getElementById('status')?.textContent === 'computing', null, { timeout: 60_000, polling: 50 }).then(() => p);
    const busy = await Promise.any(candidates.map(holding));
    const rest = candidates.filter((p) => p !== busy);
    // The others are disarmed; one that held too sends its gradient late.
    for (const p of rest) await p.evaluate(() => (window as unknown as Held).tabtrain.hold('release'));
    const busyName = new URL(busy.url()).searchParams.get('name')!;
    const busyClosedAt = await globalStep(rest[0]!);
    await busy.close();

    // The newcomer reached WebGL and got shards of the running job.
    await expect(late.locator('#backend')).toHaveText('webgl', { timeout: 60_000 });
    await expect.poll(() => steps(late), { timeout: 60_000 }).toBeGreaterThan(0);
    const lateWorkingAt = await globalStep(late);
    console.log(`[elastic] faulty run: tab-2 closed at step ${plainClosedAt} (tab-5 opened then), ${busyName} closed while computing at step ${busyClosedAt}, tab-5 had computed a shard by step ${lateWorkingAt}, of ${STEPS}`);
    expect(busyClosedAt, 'the tabs were closed mid-training').toBeLessThan(STEPS);
    expect(lateWorkingAt, 'the newcomer joined mid-training').toBeLessThan(STEPS);

    expect(await exited(cli, 240_000)).toBe(0);
    await expect(late.locator('#status')).toHaveText('done');
    return { r: readReport(file), cli, busyName };
  } finally {
    cli.proc.kill('SIGKILL');
    await context.close();
  }
}

test('4 tabs, 2 closed mid-training, 1 new: the run completes, exact accounting, accuracy of a clean run', async ({ browser }) => {
  // A clean run on four Node peers, then four WebGL tabs: most of the time is tab start-up and WebGL shader compiles.
  test.setTimeout(480_000); // a ceiling: on a 2-core machine shared with other jobs one run took over 3 min
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-elastic-'));
  const t0 = Date.now();

  const clean = await cleanRun(dir);
  console.log(summary('clean run', clean));
  expect(clean.final.testAccuracy).toBeGreaterThanOrEqual(0.95);

  const { r: faulty, cli, busyName } = await faultyRun(browser, dir);
  console.log(summary('faulty run', faulty));
  // Up to the report: the coordinator's shutdown afterwards drops every remaining socket too.
  const during = cli.lines.slice(0, cli.lines.findIndex((l) => l.startsWith('report: ')));
  console.log(`[elastic] membership: ${during.filter((l) => /^peer .* (joined|left|reconnected)/.test(l)).join(' | ')}`);
  console.log(`[elastic] |acc_faulty - acc_clean| = ${Math.abs(faulty.final.testAccuracy - clean.final.testAccuracy).toFixed(4)}; spec ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  expectExactAccounting(faulty);
  expect(Math.abs(faulty.final.testAccuracy - clean.final.testAccuracy)).toBeLessThanOrEqual(0.01);

  // The report shows who left and who came.
  const byName = new Map(faulty.peers.map((p) => [p.nickname, p]));
  expect([...byName.keys()].sort()).toEqual(['tab-1', 'tab-2', 'tab-3', 'tab-4', 'tab-5']);
  // Closed tabs say goodbye with 1001 (going away): gone, not waiting to reconnect.
  const closed = ['tab-2', busyName];
  for (const name of closed) expect(byName.get(name)!.status, `${name} status`).toBe('gone');
  for (const name of [...byName.keys()].filter((n) => !closed.includes(n))) expect(byName.get(name)!.status, `${name} status`).not.toBe('gone');
  const newcomer = byName.get('tab-5')!;
  expect(newcomer.kind).toBe('tab');
  expect(newcomer.backend).toBe('webgl');
  expect(newcomer.samples).toBeGreaterThan(0);
  // The held shard went to another peer (at its departure, or as a backup after its deadline).
  expect(faulty.accounting.reassigned).toBeGreaterThanOrEqual(1);
});
