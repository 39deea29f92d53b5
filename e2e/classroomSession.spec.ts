import { expect, test } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * A class session (`tabtrain serve`): two runs on the same open tab without
 * reopening it, the second started from the dashboard's setup form; the
 * history lists both, the overlay holds both curves, a run's CSV has one row
 * per step, and both reports are in the session folder.
 */
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');

test('two runs on the same tab, compared in the history', async ({ browser, request }) => {
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-session-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--dataset', 'xor', '--epochs', '3', '--batch-size', '64', '--progress-seconds', '60', '--report', report]);
  try {
    const tab = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await tab.goto(`${local(await cli.joinUrl)}&name=Ada`);
    await tab.evaluate(() => Object.assign(window, { sameTab: true }));
    const dashUrl = local(await cli.dashboardUrl);
    const admin = new URL(dashUrl).searchParams.get('admin')!;
    const dash = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await dash.goto(`${dashUrl}&projector=0`);
    await expect(dash.locator('#run-state')).toHaveText('done (completed)', { timeout: 90_000 });
    await expect(dash.locator('#session-card')).toBeVisible();

    // Run 2 from the setup form, on the tab that is already open.
    const form = dash.locator('#setup-form');
    await form.locator('select[name=dataset]').selectOption('spiral');
    await form.locator('input[name=hidden]').fill('8,8');
    await form.locator('input[name=epochs]').fill('2');
    await form.locator('input[name=lr]').fill('0.01');
    await expect(dash.locator('#setup-start')).toBeEnabled({ timeout: 10_000 });
    await dash.locator('#setup-start').click();
    await expect(dash.locator('#setup-result')).toContainText('Run #2 is starting');
    await expect(dash.locator('#run-state')).toHaveText(/training|evaluating/, { timeout: 60_000 });
    await expect(dash.locator('#peers tr', { hasText: 'Ada' })).toHaveCount(1);
    await expect(dash.locator('#run-state')).toHaveText('done (completed)', { timeout: 120_000 });
    expect(await tab.evaluate(() => (window as unknown as { sameTab?: boolean }).sameTab)).toBe(true);

    // The history lists both runs, the overlay holds both curves.
    await expect(dash.locator('#history tr[data-run]')).toHaveCount(2, { timeout: 10_000 });
    await expect(dash.locator('#history tr[data-run="2"]')).toContainText('spiral');
    await expect(dash.locator('#overlay')).toHaveAttribute('data-series', '2');
    await dash.locator('#session-card').scrollIntoViewIfNeeded();
    await dash.screenshot({ path: join(SHOTS, 'classroom-session-two-runs-laptop.png'), fullPage: true });
    await dash.locator('#overlay-y').selectOption('accuracy');
    await expect(dash.locator('#overlay')).toHaveAttribute('data-series', '2');

    // One CSV row per step; both reports in the session folder.
    const second = join(dir, 'run-2', 'report.json');
    expect(existsSync(report) && existsSync(second)).toBe(true);
    const steps = (JSON.parse(readFileSync(second, 'utf8')) as { steps: number }).steps;
    const csv = await (await request.get(`${new URL(dashUrl).origin}/api/session/runs/2/csv?admin=${admin}`)).text();
    const rows = csv.trim().split('\n');
    expect(rows[0]).toMatch(/^step,epoch,t,loss/);
    expect(rows.length - 1).toBe(steps);
    expect(rows.slice(1).map((r) => Number(r.split(',')[0]))).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    const index = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as { runs: { n: number }[] };
    expect(index.runs.map((r) => r.n)).toEqual([1, 2]);
    const firstStep = cli.lines.find((l) => /run #2 took its first step/.test(l));
    console.log(`session: ${firstStep ?? 'no first-step line'}`);
  } finally {
    cli.proc.kill('SIGKILL');
  }
});
