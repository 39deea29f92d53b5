import { expect, test, type Page } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * A class session (`tabtrain serve`): four runs on the same open tab without
 * reopening it, the later ones started from the dashboard's setup form; the
 * history lists them, the overlay holds their curves, a run's CSV has one
 * row per step, its report, exported model and charts PNG download from the
 * history, and every run's files are in the session folder, so a serve
 * restarted on the folder lists them again. The tab downloads each dataset
 * once (xor, spiral, spiral again, xor again: two downloads). Prints the
 * time from "Start run" to the first step on the open tab (median of 3).
 * Screenshots of the session at laptop (1366x768), phone and projector sizes.
 */
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const SIZES = { laptop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 }, projector: { width: 1920, height: 1080 } };

async function startRun(dash: Page, n: number, fields: Record<string, string>): Promise<void> {
  const form = dash.locator('#setup-form');
  for (const [name, value] of Object.entries(fields)) {
    const select = form.locator(`select[name=${name}]`);
    if (await select.count()) await select.selectOption(value);
    else await form.locator(`input[name=${name}]`).fill(value);
  }
  await expect(dash.locator('#setup-start')).toBeEnabled({ timeout: 30_000 });
  await dash.locator('#setup-start').click();
  await expect(dash.locator('#setup-result')).toContainText(`Run #${n} is starting`);
  await expect(dash.locator(`#history tr[data-run="${n}"]`)).toContainText('completed', { timeout: 150_000 });
}

/** Clicks a download control in run n's history row and returns the file's bytes. */
async function download(dash: Page, n: number, name: string): Promise<Buffer> {
  const [d] = await Promise.all([dash.waitForEvent('download', { timeout: 30_000 }), dash.locator(`#history tr[data-run="${n}"] .dl`, { hasText: new RegExp(`^${name}$`) }).click()]);
  return readFileSync((await d.path())!);
}

test('four runs on the same tab, compared in the history, with their downloads', async ({ browser, request }) => {
  test.setTimeout(10 * 60_000);
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-session-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--dataset', 'xor', '--epochs', '3', '--batch-size', '64', '--progress-seconds', '60', '--report', report]);
  let again: ReturnType<typeof startCli> | null = null;
  try {
    const tab = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const datasetDownloads: string[] = [];
    tab.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/data/')) datasetDownloads.push(new URL(r.url()).pathname);
    });
    await tab.goto(`${local(await cli.joinUrl)}&name=Ada`);
    await tab.evaluate(() => Object.assign(window, { sameTab: true }));
    const dashUrl = local(await cli.dashboardUrl);
    const admin = new URL(dashUrl).searchParams.get('admin')!;
    const dash = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await dash.goto(`${dashUrl}&projector=0`);
    await expect(dash.locator('#run-state')).toHaveText('done (completed)', { timeout: 90_000 });
    await expect(dash.locator('#session-card')).toBeVisible();
    expect(datasetDownloads).toHaveLength(1);

    // Run 2 from the setup form, on the tab that is already open: another dataset, downloaded once.
    await startRun(dash, 2, { dataset: 'spiral', hidden: '8,8', epochs: '2', lr: '0.01' });
    await expect(dash.locator('#peers tr', { hasText: 'Ada' })).toHaveCount(1);
    expect(await tab.evaluate(() => (window as unknown as { sameTab?: boolean }).sameTab)).toBe(true);
    expect(datasetDownloads).toHaveLength(2);
    // Runs 3 and 4: the same spiral, then xor again: the tab has both already, nothing is downloaded.
    await startRun(dash, 3, { dataset: 'spiral', hidden: '8,8', epochs: '1', lr: '0.03' });
    await startRun(dash, 4, { dataset: 'xor', hidden: '', epochs: '1', lr: '0.01' });
    expect(await tab.evaluate(() => (window as unknown as { sameTab?: boolean }).sameTab)).toBe(true);
    expect(datasetDownloads).toHaveLength(2);
    expect(new Set(datasetDownloads).size).toBe(2);
    await tab.close();

    // The history lists every run, the overlay holds every curve.
    await expect(dash.locator('#history tr[data-run]')).toHaveCount(4, { timeout: 10_000 });
    await expect(dash.locator('#history tr[data-run="2"]')).toContainText('spiral');
    await expect(dash.locator('#overlay')).toHaveAttribute('data-series', '4');
    await dash.locator('#overlay-y').selectOption('accuracy');
    await expect(dash.locator('#overlay')).toHaveAttribute('data-series', '4');
    await dash.locator('#overlay-y').selectOption('loss');

    // Run 2's downloads from its history row: report, exported model, charts PNG.
    const rep = JSON.parse((await download(dash, 2, 'report')).toString()) as { config: { dataset: string }; steps: number; exitReason: string };
    expect([rep.config.dataset, rep.exitReason]).toEqual(['spiral', 'completed']);
    const model = JSON.parse((await download(dash, 2, 'model.json')).toString()) as { modelTopology: unknown; weightsManifest: { paths: string[]; weights: { shape: number[]; dtype: string }[] }[] };
    expect(model.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    const floats = model.weightsManifest[0]!.weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
    // spiral (two classes, one sigmoid output) 2 -> 8 -> 8 -> 1: (2*8+8) + (8*8+8) + (8+1) parameters, float32.
    expect(floats).toBe(105);
    expect((await download(dash, 2, 'weights.bin')).length).toBe(4 * floats);
    const png = await download(dash, 2, 'PNG');
    writeFileSync(join(SHOTS, 'classroom-session-run2-charts.png'), png);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // The picture holds the run's curve: pixels of its colour (the first series, #2563eb) on white.
    const blue = await dash.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      [c.width, c.height] = [img.width, img.height];
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - 0x25) < 40 && Math.abs(d[i + 1]! - 0x63) < 40 && Math.abs(d[i + 2]! - 0xeb) < 40) n++;
      return { n, width: img.width, height: img.height };
    }, png.toString('base64'));
    expect(blue.width).toBeGreaterThanOrEqual(600);
    expect(blue.n).toBeGreaterThan(300);

    // One CSV row per step; every run's report and model in the session folder.
    const second = join(dir, 'run-2', 'report.json');
    expect(existsSync(report) && existsSync(second)).toBe(true);
    for (const m of ['model', 'run-2/model', 'run-3/model', 'run-4/model']) expect(existsSync(join(dir, m, 'weights.bin'))).toBe(true);
    const steps = (JSON.parse(readFileSync(second, 'utf8')) as { steps: number }).steps;
    const csv = await (await request.get(`${new URL(dashUrl).origin}/api/session/runs/2/csv?admin=${admin}`)).text();
    const rows = csv.trim().split('\n');
    expect(rows[0]).toMatch(/^step,epoch,t,loss/);
    expect(rows.length - 1).toBe(steps);
    expect(rows.slice(1).map((r) => Number(r.split(',')[0]))).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    const index = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as { runs: { n: number }[] };
    expect(index.runs.map((r) => r.n)).toEqual([1, 2, 3, 4]);

    // From "Start run" to the first step on the open tab.
    const waits = cli.lines.map((l) => /run #(\d+) took its first step ([\d.]+) s/.exec(l)).filter((m) => m !== null).map((m) => Number(m[2]));
    expect(waits).toHaveLength(3);
    const sorted = [...waits].sort((a, b) => a - b);
    for (const l of cli.lines.filter((x) => /took its first step/.test(x))) console.log(l);
    console.log(`session: "Start run" to the first step on the open tab: ${waits.map((w) => `${w.toFixed(1)} s`).join(', ')} (median ${sorted[1]!.toFixed(1)} s)`);

    // The session at laptop, phone and projector sizes: the history fits its card (nothing cut off).
    for (const [name, viewport] of Object.entries(SIZES)) {
      const page = await browser.newPage({ viewport });
      await page.goto(name === 'projector' ? dashUrl : `${dashUrl}&projector=0`);
      await expect(page.locator('#history tr[data-run]')).toHaveCount(4, { timeout: 15_000 });
      await expect(page.locator('#overlay')).toHaveAttribute('data-series', '4');
      const fit = await page.locator('#history').evaluate((b) => {
        const wrap = b.closest('.table-wrap')!;
        return { table: b.closest('table')!.scrollWidth, wrap: wrap.clientWidth };
      });
      expect(fit.table, `${name}: the history table is wider than its card`).toBeLessThanOrEqual(fit.wrap);
      await page.locator('#session-card').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `classroom-session-${name}-${viewport.width}x${viewport.height}.png`) });
      await page.locator('#session-card').screenshot({ path: join(SHOTS, `classroom-session-card-${name}.png`) });
      await page.close();
    }

    // A serve restarted on the session folder lists every run again, with its downloads.
    cli.proc.kill('SIGKILL');
    again = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--dataset', 'xor', '--report', `${dir}/`]);
    const dash2 = await browser.newPage({ viewport: SIZES.laptop });
    await dash2.goto(`${local(await again.dashboardUrl)}&projector=0`);
    // Runs 1-4 from the folder, and run 5 (this serve's own, from its command line) waiting for a tab.
    await expect(dash2.locator('#history tr[data-run]')).toHaveCount(5, { timeout: 30_000 });
    await expect(dash2.locator('#history tr[data-run="5"]')).toContainText('waiting for peers');
    await expect(dash2.locator('#history tr[data-run="2"] .dl', { hasText: /^model\.json$/ })).toHaveCount(1);
    expect(again.lines.some((l) => /session: 4 earlier runs/.test(l))).toBe(true);
  } finally {
    cli.proc.kill('SIGKILL');
    again?.proc.kill('SIGKILL');
  }
});
