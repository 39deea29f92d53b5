import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * The models that need the tabs' GPU path most: a CNN and batch
 * normalisation, trained by WebGL tabs on MNIST through the real CLI.
 */
interface Report {
  exitReason: string;
  peers: { backend: string; samples: number }[];
  history: { loss: number }[];
  final: { testAccuracy: number };
  model: { stateParams?: number };
}

async function runWithTabs(args: string[], tabs: number, open: (url: string) => Promise<Page>): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-e2e-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--min-peers', String(tabs), '--exit-when-done', '--report', report, ...args]);
  try {
    const url = local(await cli.joinUrl);
    const pages: Page[] = [];
    for (let i = 0; i < tabs; i++) pages.push(await open(`${url}&name=e2e-${i + 1}`));
    for (const p of pages) await expect(p.locator('#backend')).toHaveText('webgl', { timeout: 60_000 });
    expect(await cli.exit).toBe(0);
    return JSON.parse(readFileSync(report, 'utf8')) as Report;
  } finally {
    cli.proc.kill('SIGKILL');
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

test('a CNN trains on WebGL tabs: the loss falls and the test accuracy clears chance by far', async ({ context }) => {
  const r = await runWithTabs(['--model', 'cnn', '--conv', '4,8', '--kernel', '3', '--steps', '40', '--batch-size', '32', '--lr', '0.003'], 1, async (u) => {
    const p = await context.newPage();
    await p.goto(u);
    return p;
  });
  expect(r.exitReason).toBe('completed');
  expect(r.peers.every((p) => p.backend === 'webgl' && p.samples > 0)).toBe(true);
  expect(mean(r.history.slice(-8).map((h) => h.loss))).toBeLessThan(0.6 * mean(r.history.slice(0, 8).map((h) => h.loss)));
  expect(r.final.testAccuracy).toBeGreaterThan(0.6);
});

test('batch normalisation trains on two WebGL tabs, its moving statistics aggregated by the coordinator', async ({ context }) => {
  const r = await runWithTabs(['--model', 'mlp', '--hidden', '64', '--batch-norm', '--steps', '60', '--batch-size', '64', '--lr', '0.003'], 2, async (u) => {
    const p = await context.newPage();
    await p.goto(u);
    return p;
  });
  expect(r.exitReason).toBe('completed');
  expect(r.peers).toHaveLength(2);
  expect(r.peers.every((p) => p.backend === 'webgl' && p.samples > 0)).toBe(true);
  // Evaluation uses the moving statistics: a good test accuracy means they were aggregated sensibly.
  expect(r.final.testAccuracy).toBeGreaterThan(0.85);
});
