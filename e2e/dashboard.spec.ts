import { expect, test, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * The classroom in real Chromium against a real run (two node peers in the
 * coordinator's process, one WebGL volunteer tab): the dashboard lists the
 * fleet, its charts grow, the controls start, pause, resume and re-tune the
 * run (and refuse without the admin token), the QR code decodes to the join
 * link, the drawing pad predicts, and the report logs every control.
 * Screenshots at laptop and phone sizes land in test-results/screenshots/.
 */
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const stepOf = async (page: Page): Promise<number> => Number(((await page.locator('#step').textContent()) ?? '0').split('/')[0]!.replace(/,/g, '').trim());
const points = async (page: Page, id: string): Promise<number> => Number((await page.locator(`#${id}`).getAttribute('data-points')) ?? '0');

/** Pushes the dashboard has drawn so far (client/dashboard/main.ts keeps one record per render). */
interface Render {
  step: number;
  sentAt: number;
}
const renders = (page: Page): Promise<Render[]> => page.evaluate(() => (window as unknown as { tabtrainDashboard: { renders: Render[] } }).tabtrainDashboard.renders.slice());
const renderCount = async (page: Page): Promise<number> => (await renders(page)).length;
const isDashboard = (page: Page): Promise<boolean> => page.evaluate(() => 'tabtrainDashboard' in window);

async function shoot(page: Page, name: string, size: { width: number; height: number }): Promise<void> {
  const dashboard = await isDashboard(page);
  const before = dashboard ? await renderCount(page) : 0;
  await page.setViewportSize(size);
  await page.evaluate(() => scrollTo(0, 0));
  if (dashboard) {
    // Charts and canvases follow the new size at the next push (the feed sends one a second at least).
    await expect.poll(() => renderCount(page), { timeout: 10_000 }).toBeGreaterThan(before);
  }
  // The layout settles on the next frames.
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

test('dashboard and volunteer page over a live run', async ({ context, request }) => {
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-dash-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--node-peers', '2', '--min-peers', '5', '--epochs', '2', '--batch-size', '32', '--progress-seconds', '60', '--report', report]);
  try {
    const dashUrl = local(await cli.dashboardUrl);
    const joinUrl = await cli.joinUrl;
    const origin = new URL(dashUrl).origin;
    const admin = new URL(dashUrl).searchParams.get('admin') ?? '';

    // Controls refuse a request without the admin token, with a stable code.
    const refused = await request.post(`${origin}/api/control`, { data: { action: 'pause' } });
    expect(refused.status()).toBe(403);
    expect((await refused.json()).code).toBe('BAD_TOKEN');
    const wrong = await request.post(`${origin}/api/control?admin=nope`, { data: { action: 'stop' } });
    expect((await wrong.json()).code).toBe('BAD_TOKEN');
    // A dashboard opened with a wrong token says so and does not show the run.
    const intruder = await context.newPage();
    await intruder.goto(`${origin}/dashboard?admin=nope`);
    await expect(intruder.locator('#banner')).toContainText('BAD_TOKEN', { timeout: 15_000 });
    await intruder.close();

    const dash = await context.newPage();
    await dash.setViewportSize(LAPTOP);
    await dash.goto(dashUrl);
    await expect(dash.locator('#connection')).toHaveText('live', { timeout: 30_000 });
    await expect(dash.locator('#run-state')).toContainText('waiting for peers', { timeout: 60_000 });

    const vol = await context.newPage();
    await vol.setViewportSize(LAPTOP);
    await vol.goto(`${local(joinUrl)}&name=e2e-tab`);

    // Every peer is listed; the tab once warmed up.
    const rows = dash.locator('#peers tr');
    for (const name of ['node-1', 'node-2', 'e2e-tab']) await expect(rows.filter({ hasText: name })).toHaveCount(1, { timeout: 60_000 });
    await expect(rows.filter({ hasText: 'e2e-tab' })).not.toContainText('warming up', { timeout: 60_000 });

    // Start below --min-peers (3 of 5 ready).
    await dash.locator('button[data-action=start]').click();
    await expect(dash.locator('#run-state')).toHaveText(/training|evaluating/, { timeout: 15_000 });

    // The charts hold data points, and more over time.
    await expect.poll(() => points(dash, 'chart-loss'), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const p1 = await points(dash, 'chart-loss');
    await expect.poll(() => points(dash, 'chart-loss'), { timeout: 30_000 }).toBeGreaterThan(p1 + 2);
    expect(await points(dash, 'chart-throughput')).toBeGreaterThan(0);
    expect(await points(dash, 'chart-breakdown')).toBeGreaterThan(0);
    expect(Number(await dash.locator('#timeline').getAttribute('data-bars'))).toBeGreaterThan(0);

    // The QR code decodes to the join link.
    const qr = await dash.evaluate(() => {
      const c = document.getElementById('qr') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      return { w: d.width, h: d.height, px: Array.from(d.data) };
    });
    expect(qr.w).toBeGreaterThanOrEqual(200);
    expect(jsQR(Uint8ClampedArray.from(qr.px), qr.w, qr.h)?.data).toBe(joinUrl);

    // Pause stops new steps; resume starts them again. The step in flight
    // finishes: wait until no training shard is out, then for three more
    // pushes of the feed (it sends one a second while nothing happens), and
    // no push may show a later step.
    await dash.locator('button[data-action=pause]').click();
    await expect(dash.locator('#run-state')).toHaveText('paused');
    const status = async (): Promise<{ state: string; step: number; out: number }> => {
      const s = (await (await request.get(`${origin}/api/status?admin=${admin}`)).json()) as { state: string; step: number; timeline: { bars: [string, string, number, number, number][] } };
      return { state: s.state, step: s.step, out: s.timeline.bars.filter((b) => b[1] === 'train' && b[4] === -1).length };
    };
    await expect.poll(async () => { const s = await status(); return `${s.state} ${s.out}`; }, { timeout: 30_000 }).toBe('paused 0');
    const paused = (await status()).step;
    const seen = await renderCount(dash);
    await expect.poll(() => renderCount(dash), { timeout: 15_000 }).toBeGreaterThanOrEqual(seen + 3);
    const since = (await renders(dash)).slice(seen).map((r) => r.step);
    expect(since).toEqual(since.map(() => paused));
    expect((await status()).step).toBe(paused);
    expect(await stepOf(dash)).toBe(paused);
    await dash.locator('button[data-action=resume]').click();
    await expect.poll(() => stepOf(dash), { timeout: 20_000 }).toBeGreaterThan(paused + 1);

    // A new learning rate from the next step on.
    await dash.locator('#c-lr').fill('0.0005');
    await dash.locator('form[data-action=lr] button').click();
    await expect(dash.locator('.control-result')).toContainText('0.001 → 0.0005');

    // The drawing pad: the tab's own model predicts a drawn stroke.
    await expect(vol.locator('#pad-card')).toBeVisible({ timeout: 30_000 });
    const pad = (await vol.locator('#pad').boundingBox())!;
    await vol.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.2);
    await vol.mouse.down();
    for (let i = 1; i <= 12; i++) await vol.mouse.move(pad.x + pad.width * (0.5 + 0.01 * i), pad.y + pad.height * (0.2 + 0.05 * i));
    await vol.mouse.up();
    await expect(vol.locator('#prediction')).toHaveText(/^[0-9]$/, { timeout: 10_000 });
    await expect(vol.locator('#probs .prob')).toHaveCount(10);
    const total = await vol.locator('#probs .prob').evaluateAll((els) => els.reduce((a, e) => a + Number((e as HTMLElement).dataset.p), 0));
    expect(total).toBeCloseTo(1, 2);
    await expect(vol.locator('#steps')).not.toHaveText('0', { timeout: 30_000 });

    await shoot(dash, 'dashboard-laptop-training', LAPTOP);
    await shoot(vol, 'volunteer-laptop', LAPTOP);
    await shoot(vol, 'volunteer-phone', PHONE);

    // A bigger global batch: the rest of the epoch takes fewer steps and the run finishes.
    await dash.locator('#c-bs').fill('1000');
    await dash.locator('form[data-action=batchSize] button').click();
    await expect(dash.locator('.control-result')).toContainText('32 → 1000');
    await expect(dash.locator('#run-state')).toHaveText('done (completed)', { timeout: 90_000 });
    await expect(dash.locator('#misclassified figure').first()).toBeVisible({ timeout: 20_000 });
    await expect(dash.locator('#confusion td').first()).toBeVisible();
    await expect.poll(() => existsSync(report), { timeout: 20_000 }).toBe(true);

    await shoot(dash, 'dashboard-laptop', LAPTOP);
    await shoot(dash, 'dashboard-phone', PHONE);
    await shoot(vol, 'volunteer-phone-done', PHONE);

    // The report logs every control, and the history shows the new learning rate.
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.exitReason).toBe('completed');
    expect(r.controls.map((c: { action: string }) => c.action)).toEqual(['start', 'pause', 'resume', 'lr', 'batchSize']);
    const lrAt = r.controls.find((c: { action: string }) => c.action === 'lr').step;
    expect(r.history.filter((h: { step: number }) => h.step <= lrAt).every((h: { lr: number }) => h.lr === 0.001)).toBe(true);
    expect(r.history.filter((h: { step: number }) => h.step > lrAt).every((h: { lr: number }) => h.lr === 0.0005)).toBe(true);
    expect(r.history.some((h: { lr: number }) => h.lr === 0.0005)).toBe(true);
    expect(r.history.at(-1).samples).toBeGreaterThan(32);
  } finally {
    cli.proc.kill('SIGKILL');
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

test('the dashboard reconnects by itself when the coordinator restarts', async ({ page }) => {
  const ck = join(mkdtempSync(join(tmpdir(), 'tabtrain-dash-restart-')), 'ck');
  // --checkpoint-dir keeps the tokens, so the same dashboard link works after the restart.
  const args = ['serve', '--host', '127.0.0.1', '--port', String(await freePort()), '--node-peers', '1', '--model', 'logreg', '--steps', '100000', '--batch-size', '32', '--checkpoint-dir', ck, '--checkpoint-every', '5', '--progress-seconds', '60'];
  const first = startCli(args);
  try {
    await page.setViewportSize(LAPTOP);
    await page.goto(local(await first.dashboardUrl));
    await expect(page.locator('#connection')).toHaveText('live', { timeout: 30_000 });
    await expect.poll(() => stepOf(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(6);

    // The volunteer page asks for a nickname when the link has none, and says so plainly when the link is wrong.
    const joinUrl = new URL(local(await first.joinUrl));
    const vol = await page.context().newPage();
    await vol.setViewportSize(PHONE);
    await vol.goto(joinUrl.toString());
    await expect(vol.locator('#nick-form')).toBeVisible();
    await expect(vol.locator('#nick-countdown')).toContainText('anonymously');
    await vol.screenshot({ path: join(SHOTS, 'volunteer-phone-nickname.png') });
    await vol.locator('#nick').fill('Ada');
    await vol.locator('#nick-form button').click();
    await expect(vol.locator('#who-name')).toHaveText('Ada');
    await expect(page.locator('#peers tr', { hasText: 'Ada' })).toHaveCount(1, { timeout: 30_000 });
    joinUrl.searchParams.set('t', 'stale-link');
    await vol.goto(`${joinUrl.toString()}&name=Ada`);
    await expect(vol.locator('#headline')).toContainText('not (or no longer) valid', { timeout: 30_000 });
    await vol.screenshot({ path: join(SHOTS, 'volunteer-phone-refused.png') });
    await vol.close();

    first.proc.kill('SIGKILL');
    await first.exit;
    await expect(page.locator('#banner')).toContainText('retrying automatically', { timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'dashboard-laptop-coordinator-gone.png') });
    const second = startCli([...args, '--resume']);
    try {
      await expect(page.locator('#connection')).toHaveText('live', { timeout: 60_000 });
      await expect(page.locator('#banner')).toBeHidden();
      await expect.poll(() => stepOf(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(6);
    } finally {
      second.proc.kill('SIGKILL');
    }
  } finally {
    first.proc.kill('SIGKILL');
  }
});
