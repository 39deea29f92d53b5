import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * The character model on real tabs: an LSTM on the names, trained by two
 * WebGL tabs through the real CLI; the per-character loss falls and the
 * report carries the text metrics.
 */
interface Report {
  exitReason: string;
  peers: { backend: string; samples: number }[];
  history: { loss: number }[];
  evals: { split: string; metrics: { loss: number; perplexity: number } }[];
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

test('an LSTM trains on two WebGL tabs: the loss per character falls', async ({ context }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-e2e-rnn-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--min-peers', '2', '--exit-when-done', '--report', report,
    '--dataset', 'names', '--model', 'charrnn', '--cell', 'lstm', '--units', '24', '--seq-len', '8', '--batch-size', '64', '--lr', '0.02', '--steps', '30', '--split', '0.9,0.05,0.05']);
  try {
    const url = local(await cli.joinUrl);
    const pages = [];
    for (let i = 0; i < 2; i++) {
      const p = await context.newPage();
      await p.goto(`${url}&name=rnn-${i + 1}`);
      pages.push(p);
    }
    for (const p of pages) await expect(p.locator('#backend')).toHaveText('webgl', { timeout: 60_000 });
    expect(await cli.exit).toBe(0);
  } finally {
    cli.proc.kill('SIGKILL');
  }
  const r = JSON.parse(readFileSync(report, 'utf8')) as Report;
  expect(r.exitReason).toBe('completed');
  expect(r.peers).toHaveLength(2);
  expect(r.peers.every((p) => p.backend === 'webgl' && p.samples > 0)).toBe(true);
  // ln 28 = 3.33 at the start; the names' unigram entropy is 2.85
  expect(mean(r.history.slice(0, 3).map((h) => h.loss))).toBeGreaterThan(3.1);
  const test = r.evals.find((e) => e.split === 'test')!.metrics;
  expect(test.loss).toBeLessThan(2.95);
  expect(test.perplexity).toBeCloseTo(Math.exp(test.loss), 6);
});
