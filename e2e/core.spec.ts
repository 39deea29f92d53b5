import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * The core loop in real Chromium: a coordinator started by the CLI, three
 * tabs that open the join link, WebGL gradients, a report at the end.
 */
const steps = (page: Page): Promise<number> => page.locator('#steps').textContent().then((t) => Number(t));
/** Live tensors in the tab right after its n-th training step finished (recorded by the page). */
const tensorsAfter = (page: Page, n: number): Promise<number | undefined> =>
  page.evaluate((k) => (window as unknown as { tabtrainTensorsAfterStep: Record<number, number> }).tabtrainTensorsAfterStep[k], n);

test('three WebGL tabs train MNIST to the stated accuracy, without leaking tensors', async ({ context }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-e2e-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--min-peers', '3', '--exit-when-done', '--epochs', '2', '--batch-size', '128', '--report', report]);
  try {
    const url = local(await cli.joinUrl);
    const pages: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await context.newPage();
      await p.goto(`${url}&name=e2e-${i + 1}`);
      pages.push(p);
    }
    for (const p of pages) await expect(p.locator('#backend')).toHaveText('webgl', { timeout: 60_000 });
    // Gradients are computed in a Web Worker (WebGL through OffscreenCanvas), so hidden tabs keep their speed.
    for (const p of pages) await expect(p.locator('body')).toHaveAttribute('data-where', 'worker');
    // Leak check on one tab: the tensor count after step 10 equals the count after step 100.
    const first = pages[0]!;
    await expect.poll(() => steps(first), { timeout: 240_000 }).toBeGreaterThanOrEqual(100);
    const at10 = await tensorsAfter(first, 10);
    const at100 = await tensorsAfter(first, 100);
    expect(at10).toBeGreaterThan(0);
    expect(at100).toBe(at10);
    expect(await cli.exit).toBe(0);
    for (const p of pages) {
      await expect(p.locator('#status')).toHaveText('done');
      expect(Number(await p.locator('#samples').textContent())).toBeGreaterThan(0);
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.exitReason).toBe('completed');
    expect(r.peers).toHaveLength(3);
    for (const p of r.peers) {
      expect(p.kind).toBe('tab');
      expect(p.backend).toBe('webgl');
      expect(p.samples).toBeGreaterThan(0);
    }
    expect(r.accounting.epochs.map((e: { samplesUsed: number }) => e.samplesUsed)).toEqual([8000, 8000]);
    expect(r.final.testAccuracy).toBeGreaterThan(0.9);
  } finally {
    cli.proc.kill('SIGKILL');
  }
});

test('a tab with a wrong join token is refused with a reason it shows', async ({ page }) => {
  const cli = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--steps', '5']);
  try {
    const url = new URL(local(await cli.joinUrl));
    url.searchParams.set('t', 'not-the-token');
    await page.goto(url.toString());
    await expect(page.locator('#status')).toHaveText('refused', { timeout: 60_000 });
    await expect(page.locator('#reason')).toContainText('BAD_TOKEN');
    await expect(page.locator('#reason')).toContainText('join link');
  } finally {
    cli.proc.kill('SIGKILL');
  }
});
