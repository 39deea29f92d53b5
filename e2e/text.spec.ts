import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * The character model on real tabs: an LSTM on the names, trained by two
 * tabs through the real CLI. A recurrent model is timed on wasm and cpu, not
 * WebGL (client/peer/recurrentChoice.ts: WebGL compiles a shader per op per
 * batch shape, 10-25 s each on SwiftShader), and the tab says so. The loss
 * per character falls, and the volunteer page's prefix box continues a
 * student's prefix with the tab's own copy of the class model.
 */
interface Report {
  exitReason: string;
  peers: { backend: string; backendNote: string; samples: number }[];
  history: { loss: number }[];
  evals: { split: string; metrics: { loss: number; perplexity: number } }[];
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

test('an LSTM trains on two tabs (wasm/cpu by measurement) and the prefix box continues a prefix', async ({ browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-e2e-rnn-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--min-peers', '2', '--exit-when-done', '--report', report,
    '--dataset', 'names', '--model', 'charrnn', '--cell', 'lstm', '--units', '16', '--seq-len', '8', '--batch-size', '64', '--lr', '0.03', '--steps', '30', '--split', '0.9,0.05,0.05']);
  // A phone-sized page, as a student would hold it, and a laptop-sized one.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const laptop = await browser.newContext();
  try {
    const url = local(await cli.joinUrl);
    const pages: Page[] = [];
    for (const [i, ctx] of [phone, laptop].entries()) {
      const p = await ctx.newPage();
      await p.goto(`${url}&name=rnn-${i + 1}`);
      pages.push(p);
    }
    const page = pages[0]!;
    for (const p of pages) await expect(p.locator('#backend')).toHaveText(/^(wasm|cpu)$/, { timeout: 120_000 });
    await expect(page.locator('#backend-note')).toContainText('recurrent model');
    // The prefix box appears for a text model; typing a prefix gives three continuations that start with it.
    await expect(page.locator('#text-card')).toBeVisible({ timeout: 60_000 });
    await page.locator('#prefix').fill('Ma');
    await page.locator('#continue').click();
    await expect(page.locator('#continuations')).toHaveAttribute('data-prefix', 'ma', { timeout: 30_000 });
    expect(await cli.exit).toBe(0);
    // After the run: the final model, still in the tab, writes again.
    await page.locator('#temperature').fill('0.5');
    await page.locator('#continue').click();
    await expect(page.locator('#text-note')).toContainText('written in this tab', { timeout: 30_000 });
    const texts = await page.locator('#continuations li').allTextContents();
    expect(texts).toHaveLength(3);
    for (const t of texts) expect(t).toMatch(/^ma/);
    expect(Number(await page.locator('#continuations').getAttribute('data-version'))).toBeGreaterThan(0);
    await expect(page.locator('#headline')).toContainText('let the final model write');
    if (process.env.E2E_SHOTS) await page.screenshot({ path: join(process.env.E2E_SHOTS, 'volunteer-text-phone.png'), fullPage: true });
  } finally {
    cli.proc.kill('SIGKILL');
    await phone.close();
    await laptop.close();
  }
  const r = JSON.parse(readFileSync(report, 'utf8')) as Report;
  expect(r.exitReason).toBe('completed');
  expect(r.peers).toHaveLength(2);
  expect(r.peers.every((p) => (p.backend === 'wasm' || p.backend === 'cpu') && p.samples > 0)).toBe(true);
  // ln 28 = 3.33 at the start; the names' unigram entropy is 2.85
  expect(mean(r.history.slice(0, 3).map((h) => h.loss))).toBeGreaterThan(3.1);
  expect(mean(r.history.slice(-3).map((h) => h.loss))).toBeLessThan(3.0);
  const test = r.evals.find((e) => e.split === 'test')!.metrics;
  expect(test.perplexity).toBeCloseTo(Math.exp(test.loss), 6);
});
