import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * The classroom views in real Chromium on a live spiral run with one volunteer
 * tab: the projector layout at 1920x1080 (a QR code at least 600 px tall, the
 * technical panels folded), the decision regions changing as the model
 * trains (dashboard and phone), and screenshots at projector, laptop and
 * phone sizes in test-results/screenshots/.
 */
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const PROJECTOR = { width: 1920, height: 1080 };
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const pixels = (page: Page): Promise<string> => page.locator('#boundary').evaluate((c) => (c as HTMLCanvasElement).toDataURL());
const version = async (page: Page): Promise<number> => Number((await page.locator('#boundary').getAttribute('data-version')) ?? '-1');

test('projector layout, and the spiral decision boundary changing as it trains', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true });
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--dataset', 'spiral', '--hidden', '16,16', '--lr', '0.03', '--epochs', '80', '--batch-size', '64', '--progress-seconds', '60']);
  try {
    const joinUrl = local(await cli.joinUrl);
    const dashUrl = local(await cli.dashboardUrl);
    const phone = await browser.newPage({ viewport: PHONE });
    await phone.goto(`${joinUrl}&name=Ada`);
    const dash = await browser.newPage({ viewport: PROJECTOR });
    await dash.goto(dashUrl);
    await expect(dash.locator('#connection')).toHaveText('live', { timeout: 30_000 });

    // Projector layout by itself above 1600 px: a QR code the back row can scan, technical panels folded.
    await expect(dash.locator('body')).toHaveClass(/projector/);
    await expect(dash.locator('#timeline-card')).not.toHaveAttribute('open', '');
    await expect.poll(async () => (await dash.locator('#qr').boundingBox())?.height ?? 0, { timeout: 15_000 }).toBeGreaterThanOrEqual(600);
    await expect(dash.locator('#join-link')).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/\?t=/);

    // The decision regions: drawn, then different once the model has trained more.
    await expect(dash.locator('#run-state')).toHaveText(/training|evaluating/, { timeout: 60_000 });
    await expect.poll(() => version(dash), { timeout: 60_000 }).toBeGreaterThan(0);
    const v1 = await version(dash);
    const before = await pixels(dash);
    await expect.poll(() => version(dash), { timeout: 90_000 }).toBeGreaterThan(v1 + 60);
    expect(await pixels(dash)).not.toBe(before);
    await expect(dash.locator('#view-caption')).toContainText('Dots: training points');
    await dash.screenshot({ path: join(SHOTS, 'classroom-projector-1920x1080.png') });

    // The phone shows the same picture, above the technical details.
    await expect(phone.locator('#view-card')).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => version(phone), { timeout: 30_000 }).toBeGreaterThan(0);
    const viewTop = (await phone.locator('#view-card').boundingBox())!.y;
    const techTop = (await phone.locator('#tech').boundingBox())!.y;
    expect(viewTop).toBeLessThan(techTop);
    await expect(phone.locator('#pad-card')).toBeHidden();
    await phone.screenshot({ path: join(SHOTS, 'classroom-volunteer-phone.png'), fullPage: true });

    // The same name on the phone and on the dashboard.
    await expect(dash.locator('#peers tr', { hasText: 'Ada' })).toHaveCount(1);

    const laptop = await browser.newPage({ viewport: LAPTOP });
    await laptop.goto(`${dashUrl}&projector=0`);
    await expect(laptop.locator('body')).not.toHaveClass(/projector/);
    await expect.poll(() => version(laptop), { timeout: 30_000 }).toBeGreaterThan(0);
    await laptop.screenshot({ path: join(SHOTS, 'classroom-dashboard-laptop.png'), fullPage: true });
    await laptop.setViewportSize(PHONE);
    // The layout and the charts redraw on resize: wait until two frames have been painted at the new size.
    await laptop.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
    await laptop.screenshot({ path: join(SHOTS, 'classroom-dashboard-phone.png'), fullPage: true });

    // Full-screen QR on the projector, with its link under it.
    await dash.locator('#qr').click();
    await expect(dash.locator('#qr-big-link')).toHaveText(joinUrl.replace('127.0.0.1', new URL(await cli.joinUrl).hostname));
    await dash.screenshot({ path: join(SHOTS, 'classroom-projector-qr-fullscreen.png') });
  } finally {
    cli.proc.kill('SIGKILL');
  }
});

test('tabtrain run: an open dashboard gets the final state before the coordinator exits', async ({ browser }) => {
  const cli = startCli(['run', '--host', '127.0.0.1', '--port', '0', '--dataset', 'xor', '--peers', '0', '--node-peers', '1', '--steps', '150', '--batch-size', '32', '--progress-seconds', '60']);
  try {
    const dash = await browser.newPage({ viewport: LAPTOP });
    await dash.goto(`${local(await cli.dashboardUrl)}&projector=0`);
    await expect(dash.locator('#connection')).toHaveText('live', { timeout: 30_000 });
    expect(await cli.exit).toBe(0);
    await expect(dash.locator('#run-state')).toHaveText('done (completed)', { timeout: 15_000 });
    await expect(dash.locator('#step')).toHaveText('150 / 150');
    await expect(dash.locator('#banner')).toContainText('Training finished: the figures above are final.', { timeout: 15_000 });
  } finally {
    cli.proc.kill('SIGKILL');
  }
});
