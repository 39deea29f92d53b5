import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * --mode local in real Chromium: two volunteer tabs (WebGL in their Web
 * Worker) take LOCAL tasks, run 4 inner Adam steps each with their own tfjs
 * optimizer, and return weight changes the coordinator averages with the
 * outer Nesterov step. The inner optimizer's state is made once per join and
 * kept between rounds: each tab reports many local rounds and one fresh start.
 */
interface TabStats {
  localRounds: number;
  innerFresh: number;
  samples: number;
}
const statsOf = (page: Page): Promise<TabStats | null> =>
  page.evaluate(() => (window as unknown as { tabtrain?: { stats: TabStats | null } }).tabtrain?.stats ?? null);

test('two WebGL tabs train in local mode (H = 4): exact accounting, inner state kept between rounds', async ({ context }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-e2e-local-'));
  const report = join(dir, 'report.json');
  // circles: 1000 samples, 800 for training = 25 global batches of 32 per epoch = 7 rounds (the last of 1 batch).
  const cli = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--min-peers', '2', '--exit-when-done', '--dataset', 'circles', '--model', 'mlp',
    '--mode', 'local', '--local-steps', '4', '--optimizer', 'adam', '--lr', '0.01', '--epochs', '2', '--batch-size', '32', '--report', report]);
  try {
    const url = local(await cli.joinUrl);
    const pages: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const p = await context.newPage();
      await p.goto(`${url}&name=local-${i + 1}`);
      pages.push(p);
    }
    for (const p of pages) await expect(p.locator('#backend')).toHaveText('webgl', { timeout: 60_000 });
    for (const p of pages) await expect(p.locator('body')).toHaveAttribute('data-where', 'worker');
    expect(await cli.exit).toBe(0);
    expect(cli.lines.some((l) => /mode local: 4 inner steps .* outer nesterov lr 0\.7 momentum 0\.9/.test(l))).toBe(true);

    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.exitReason).toBe('completed');
    expect(r.config.mode).toBe('local');
    expect(r.local).toMatchObject({ localSteps: 4, outerOptimizer: 'nesterov', outerLr: 0.7, outerMomentum: 0.9, innerOptimizer: 'adam', rounds: 14 });
    expect(r.steps).toBe(50);
    // Exactly once: every training sample of each epoch, however the rounds were cut between the tabs.
    expect(r.accounting.epochs.map((e: { samplesUsed: number }) => e.samplesUsed)).toEqual([800, 800]);
    expect(r.peers).toHaveLength(2);
    for (const p of r.peers) {
      expect(p.kind).toBe('tab');
      expect(p.backend).toBe('webgl');
      expect(p.samples).toBeGreaterThan(0);
    }
    expect(r.peers.reduce((s: number, p: { samples: number }) => s + p.samples, 0)).toBe(1600);
    expect(r.final.testAccuracy).toBeGreaterThan(0.8); // chance is 0.5

    // Each tab: several local rounds on one inner optimizer (fresh once, when it joined), its samples as the report says.
    for (const p of pages) {
      const s = await statsOf(p);
      expect(s).not.toBeNull();
      expect(s!.localRounds).toBeGreaterThanOrEqual(3);
      expect(s!.innerFresh).toBe(1);
    }
    const tabSamples = await Promise.all(pages.map((p) => statsOf(p).then((s) => s!.samples)));
    expect(tabSamples.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1600); // a backup copy may add a few
  } finally {
    cli.proc.kill('SIGKILL');
  }
});
