import { expect, test } from '@playwright/test';
import { local, startCli } from './cli';

/**
 * --mode async on the dashboard, in real Chromium: the shard timeline shows
 * returned shards and the "where each step's time goes" chart has a point per
 * applied step, as in sync mode (both were empty in async runs: the async
 * trainer never recorded shard returns or step breakdowns).
 */
test('an async run fills the shard timeline and the step breakdown', async ({ page, request }) => {
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--mode', 'async', '--max-staleness', '2', '--node-peers', '2', '--min-peers', '2',
    '--dataset', 'mnist', '--model', 'logreg', '--epochs', '1', '--batch-size', '32', '--progress-seconds', '60']);
  try {
    const dashUrl = local(await cli.dashboardUrl);
    const url = new URL(dashUrl);
    await page.goto(dashUrl);
    await expect(page.locator('#connection')).toHaveText('live', { timeout: 30_000 });
    // The breakdown chart grows a point per applied step.
    await expect.poll(async () => Number((await page.locator('#chart-breakdown').getAttribute('data-points')) ?? '0'), { timeout: 60_000 }).toBeGreaterThan(5);
    await expect.poll(async () => Number((await page.locator('#timeline').getAttribute('data-bars')) ?? '0'), { timeout: 30_000 }).toBeGreaterThan(0);
    // The feed behind them: returned, accepted shards, and one breakdown per applied step.
    const status = await (await request.get(`${url.origin}/api/status?admin=${url.searchParams.get('admin')}`)).json();
    const bars = status.timeline.bars as [string, string, number, number, number, number, string, number, number][];
    expect(bars.some((b) => b[1] === 'train' && b[4] >= 0 && b[6] === 'accepted')).toBe(true);
    expect(status.breakdown.length).toBeGreaterThan(5);
    expect(status.breakdown.every((b: { shards: number }) => b.shards === 1)).toBe(true); // one gradient per async step
    await page.screenshot({ path: 'test-results/screenshots/async-dashboard.png', fullPage: true });
  } finally {
    cli.proc.kill('SIGKILL');
  }
});
