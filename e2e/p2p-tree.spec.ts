import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { build } from 'esbuild';
import { once } from 'node:events';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { chooseTree, depthOf } from '../shared/p2p/tree';
import { local, startCli, type CliRun } from './cli';

/**
 * One step's gradient reduction over a real tree of tabs (fan-in 2) in
 * headless Chromium: every tab registers with the coordinator's PeerJS
 * server, each child opens a data channel to its parent, and each tab runs
 * the relay of shared/p2p/relay.ts on a 101,770-value gradient sum (the
 * MNIST 784-128-10 MLP's size). The roots' sums are what the coordinator
 * would receive: k of them instead of N, adding up to the star's sum.
 * Reduction times are printed as figures, never asserted.
 */
const ROOT = process.cwd();
const PROBE = join(ROOT, 'dist', 'p2p', 'probe.js');
const PARAMS = 101_770;
const K = 2;
const SUM_BYTES = 20 + 4 * PARAMS;

test.use({ bypassCSP: true });

interface RootResult {
  count: number;
  lossSum: number;
  total: number;
  head: number[];
  bytes: number;
  doneAt: number;
}
interface Probe {
  tabtrainP2p: {
    open(id: string, origin: string, token: string, ms: number): Promise<boolean>;
    treeRole(step: number, parent: string | null, children: string[], params: number, ms: number): Promise<boolean>;
    contribute(step: number, i: number): number;
    rootResult(): RootResult | null;
    parentClosed(): boolean;
    starSend(url: string, step: number, i: number, params: number): Promise<number>;
  };
}

let cli: CliRun;
let origin = '';
let token = '';

test.beforeAll(async () => {
  await build({ entryPoints: [join(ROOT, 'client', 'p2p', 'probe.ts')], outfile: PROBE, bundle: true, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'error' });
  cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--min-peers', '99', '--dataset', 'circles', '--samples', '200', '--progress-seconds', '600']);
  const url = new URL(local(await cli.joinUrl));
  origin = url.origin;
  token = url.searchParams.get('t') ?? '';
});

test.afterAll(() => {
  cli?.proc.kill('SIGKILL');
});

/** The star's answer, as the coordinator would add the N sums (float64 checksum of the gradient sum). */
function starTotal(n: number): { count: number; lossSum: number; total: number } {
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < PARAMS; j++) total += Math.fround(Math.sin(i * 7919 + j) * (1 + i));
  return { count: Array.from({ length: n }, (_, i) => 8 + i).reduce((a, b) => a + b, 0), lossSum: Array.from({ length: n }, (_, i) => 0.25 * i).reduce((a, b) => a + b, 0), total };
}

/** N tabs t0..t(N-1) in a fan-in-2 tree, channels open, ready for step 1. */
async function treeOfTabs(context: BrowserContext, n: number) {
  const tabs = Array.from({ length: n }, (_, i) => `tree${n}-t${i}`);
  const tree = chooseTree({ tabs, fanIn: K });
  const pages: Page[] = [];
  for (const id of tabs) {
    const page = await context.newPage();
    await page.goto(`${origin}/p2p-probe`).catch(() => undefined);
    await page.addScriptTag({ path: PROBE });
    expect(await page.evaluate(([i, o, t]) => (window as unknown as Probe).tabtrainP2p.open(i!, o!, t!, 5000), [id, origin, token])).toBe(true);
    pages.push(page);
  }
  const roles = tabs.map((id, i) =>
    pages[i]!.evaluate(([p, c, n2]) => (window as unknown as Probe).tabtrainP2p.treeRole(1, p as string | null, c as string[], n2 as number, 8000), [tree.parent.get(id) ?? null, tree.children.get(id) ?? [], PARAMS] as const),
  );
  expect(await Promise.all(roles)).toEqual(tabs.map(() => true));
  return { tabs, tree, pages };
}

const rootResult = (page: Page): Promise<RootResult | null> => page.evaluate(() => (window as unknown as Probe).tabtrainP2p.rootResult());

for (const n of [2, 4, 8]) {
  test(`${n} tabs reduce one step over the tree: ${K} sums reach the coordinator and add up to the star's`, async ({ context }) => {
    const { tabs, tree, pages } = await treeOfTabs(context, n);
    const started = await Promise.all(pages.map((p, i) => p.evaluate(([s, j]) => (window as unknown as Probe).tabtrainP2p.contribute(s!, j!), [1, i])));
    const roots = tree.roots.map((r) => pages[tabs.indexOf(r)]!);
    for (const r of roots) await r.waitForFunction(() => (window as unknown as Probe).tabtrainP2p.rootResult() !== null, undefined, { timeout: 60_000 });
    const results = (await Promise.all(roots.map(rootResult))) as RootResult[];
    const want = starTotal(n);
    expect(results).toHaveLength(K);
    expect(results.reduce((a, r) => a + r.count, 0)).toBe(want.count);
    expect(results.reduce((a, r) => a + r.lossSum, 0)).toBeCloseTo(want.lossSum, 9);
    // float32 sums in a different order than the star: equal within rounding
    expect(Math.abs(results.reduce((a, r) => a + r.total, 0) - want.total)).toBeLessThan(1e-6 * PARAMS * n);
    const sinkBytes = results.reduce((a, r) => a + r.bytes, 0);
    expect(sinkBytes).toBe(K * SUM_BYTES);
    const ms = Math.max(...results.map((r) => r.doneAt)) - Math.min(...started);
    console.log(`[p2p] tree of ${n} tabs (fan-in ${K}, depth ${depthOf(tree)}): gradient bytes into the coordinator ${sinkBytes} (star: ${n * SUM_BYTES}, ratio ${(sinkBytes / (n * SUM_BYTES)).toFixed(2)} = k/N); reduction ${ms} ms`);
  });
}

for (const n of [2, 4, 8]) {
  test(`star baseline, ${n} tabs: each sends its sum over a WebSocket to one Node sink (N sums, N times the bytes)`, async ({ context }) => {
    const sink = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 8 * SUM_BYTES });
    await once(sink, 'listening');
    const arrivals: { at: number; bytes: number }[] = [];
    const all = new Promise<void>((resolve) => {
      sink.on('connection', (ws) =>
        ws.on('message', (data: Buffer) => {
          arrivals.push({ at: Date.now(), bytes: data.byteLength });
          if (arrivals.length === n) resolve();
        }),
      );
    });
    try {
      const pages: Page[] = [];
      for (let i = 0; i < n; i++) {
        const page = await context.newPage();
        await page.goto(`${origin}/p2p-probe`).catch(() => undefined);
        await page.addScriptTag({ path: PROBE });
        pages.push(page);
      }
      const url = `ws://127.0.0.1:${(sink.address() as { port: number }).port}`;
      const started = await Promise.all(pages.map((p, i) => p.evaluate(([u, j, m]) => (window as unknown as Probe).tabtrainP2p.starSend(u as string, 1, j as number, m as number), [url, i, PARAMS] as const)));
      await all;
      const bytes = arrivals.reduce((a, x) => a + x.bytes, 0);
      expect(bytes).toBe(n * SUM_BYTES);
      const ms = Math.max(...arrivals.map((x) => x.at)) - Math.min(...started);
      console.log(`[p2p] star of ${n} tabs: gradient bytes into the sink ${bytes}; gather ${ms} ms`);
    } finally {
      sink.close();
    }
  });
}

test('a relay tab closed mid-step: the other subtree’s sum arrives, the orphaned children see their parent gone', async ({ context }) => {
  const { tabs, tree, pages } = await treeOfTabs(context, 4);
  // roots t0 and t1; t0 relays t2 and t3
  const relay = tree.roots.find((r) => (tree.children.get(r) ?? []).length > 0)!;
  const other = tree.roots.find((r) => r !== relay)!;
  const kids = tree.children.get(relay)!;
  for (const id of [other, ...kids]) await pages[tabs.indexOf(id)]!.evaluate(([s, j]) => (window as unknown as Probe).tabtrainP2p.contribute(s!, j!), [1, tabs.indexOf(id)]);
  await pages[tabs.indexOf(relay)]!.close(); // before its own sum: the subtree's sum can never come
  const otherPage = pages[tabs.indexOf(other)]!;
  await otherPage.waitForFunction(() => (window as unknown as Probe).tabtrainP2p.rootResult() !== null, undefined, { timeout: 30_000 });
  expect((await rootResult(otherPage))!.count).toBe(8 + tabs.indexOf(other));
  for (const k of kids) await pages[tabs.indexOf(k)]!.waitForFunction(() => (window as unknown as Probe).tabtrainP2p.parentClosed(), undefined, { timeout: 30_000 });
  // The coordinator's side (the void subtree's shards redone on the star, exactly once) is tests/p2p/plane.test.ts.
});
