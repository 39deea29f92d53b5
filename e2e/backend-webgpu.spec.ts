import { expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * WebGPU tabs in headless Chromium. Chromium 156 here offers a WebGPU adapter
 * (SwiftShader, "google / swiftshader") only with --enable-unsafe-webgpu;
 * without it requestAdapter() answers null ("No available adapters"). With
 * it, a tab times the model on WebGL and WebGPU at warm-up, reports both
 * timings, and computes on the faster; `?backend=webgpu` forces WebGPU.
 */
const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
test.use({ launchOptions: { executablePath, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows', '--enable-unsafe-webgpu'] } });

const JOB = ['--dataset', 'circles', '--samples', '1200', '--split', '0.5,0.1,0.4', '--hidden', '32,32', '--lr', '0.01', '--batch-size', '64', '--epochs', '2', '--seed', '1'];

interface Report {
  exitReason: string;
  peers: { nickname: string; backend: string; backendNote: string; samples: number }[];
}

test('a tab times WebGL and WebGPU, reports both and computes on the faster; ?backend=webgpu trains on WebGPU', async ({ page, context }) => {
  test.setTimeout(180_000);
  const file = join(mkdtempSync(join(tmpdir(), 'tabtrain-webgpu-')), 'report.json');
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--min-peers', '2', '--exit-when-done', '--progress-seconds', '60', ...JOB, '--report', file]);
  try {
    const url = local(await cli.joinUrl);
    await page.goto(`${url}&name=measured`);
    const forced = await context.newPage();
    await forced.goto(`${url}&name=forced&backend=webgpu`);
    // The measured tab shows both timings, the kept backend first.
    await expect(page.locator('#backend-note')).toContainText('per shard of', { timeout: 90_000 });
    const note = (await page.locator('#backend-note').textContent()) ?? '';
    const ms = (b: string): number => Number(new RegExp(`${b} ([\\d.]+) ms`).exec(note)?.[1]);
    expect(ms('webgl'), note).toBeGreaterThan(0);
    expect(ms('webgpu'), note).toBeGreaterThan(0);
    const faster = ms('webgpu') < ms('webgl') ? 'webgpu' : 'webgl';
    await expect(page.locator('#backend')).toHaveText(faster);
    await expect(forced.locator('#backend')).toHaveText('webgpu', { timeout: 90_000 });

    const code = await Promise.race([cli.exit, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`still running; last lines:\n${cli.lines.slice(-10).join('\n')}`)), 150_000))]);
    expect(code).toBe(0);
    const r = JSON.parse(readFileSync(file, 'utf8')) as Report;
    expect(r.exitReason).toBe('completed');
    const byName = Object.fromEntries(r.peers.map((p) => [p.nickname, p]));
    console.log(`[webgpu] measured tab: ${byName.measured?.backend} (${byName.measured?.backendNote}); forced tab: ${byName.forced?.backend}, ${byName.forced?.samples} samples`);
    expect(byName.measured?.backend).toBe(faster);
    // The timings reach the coordinator in the rejoining HELLO's backendNote: the report (and the dashboard's peers table) show them.
    expect(byName.measured?.backendNote).toMatch(/per shard of \d+: .*webgl [\d.]+ ms.*webgpu [\d.]+ ms|per shard of \d+: .*webgpu [\d.]+ ms.*webgl [\d.]+ ms/);
    expect(byName.forced?.backend).toBe('webgpu');
    expect(byName.forced?.samples).toBeGreaterThan(0);
  } finally {
    cli.proc.kill('SIGKILL');
  }
});
