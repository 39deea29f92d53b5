import { expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, startCli } from './cli';

/**
 * Spot checks in a mixed fleet, in real Chromium: one WebGL tab, two honest
 * node peers and one `tabtrain peer --attack sign-flip`, with --spot-check
 * 0.5. The attacker is quarantined within 15 steps (measured: 1-7 with node
 * peers at 0.25); the tab and the honest node peers never are, so WebGL and
 * tfjs cpu agree within the tolerance (the largest distance between
 * agreeing results is in the report). The dashboard shows each peer's checks.
 */
test('spot checks catch a sign-flip peer and never an honest tab or node peer', async ({ page, context, request }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-spot-'));
  const report = join(dir, 'report.json');
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--node-peers', '2', '--min-peers', '4', '--spot-check', '0.5',
    '--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--batch-size', '50', '--steps', '30', '--progress-seconds', '60', '--report', report]);
  let attacker: ReturnType<typeof startCli> | null = null;
  try {
    const joinUrl = local(await cli.joinUrl);
    const dashUrl = local(await cli.dashboardUrl);
    const tab = await context.newPage();
    await tab.goto(`${joinUrl}&name=honest-tab`);
    await expect(tab.locator('#backend')).toHaveText('webgl', { timeout: 120_000 });
    attacker = startCli(['peer', '--join', joinUrl, '--attack', 'sign-flip']);
    await page.goto(dashUrl);
    const u = new URL(dashUrl);
    const status = async (): Promise<{ state: string; peers: { nickname: string; status: string; trust?: { passed: number; failed: number } }[] }> =>
      (await request.get(`${u.origin}/api/status?admin=${u.searchParams.get('admin')}`)).json();
    // Generous: on an idle machine the run takes ~30 s; on a loaded one the node peers alone can take a minute to start.
    await expect.poll(async () => (await status()).state, { timeout: 240_000, intervals: [2_000] }).toBe('done');
    await expect.poll(() => existsSync(report), { timeout: 30_000 }).toBe(true);
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.exitReason).toBe('completed');
    expect(r.accounting.epochs.reduce((a: number, e: { samplesUsed: number }) => a + e.samplesUsed, 0)).toBe(30 * 50);
    type PeerRow = { nickname: string; kind: string; backend: string; quarantine: { code: string; reason: string } | null; trust: { passed: number; failed: number; quarantinedAtStep: number | null } | null };
    const peers = r.peers as PeerRow[];
    const bad = peers.filter((p) => p.quarantine);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.kind).toBe('node');
    expect(bad[0]!.quarantine!.code).toBe('SPOT_CHECK_FAILED');
    expect(bad[0]!.trust!.quarantinedAtStep).toBeLessThanOrEqual(15);
    const tabRow = peers.find((p) => p.kind === 'tab')!;
    expect(tabRow.backend).toBe('webgl');
    expect(tabRow.trust!.failed).toBe(0);
    expect(tabRow.trust!.passed).toBeGreaterThan(0);
    for (const p of peers.filter((x) => x !== bad[0])) expect(p.trust?.failed ?? 0).toBe(0);
    console.log(`spot checks: ${JSON.stringify(r.spotChecks)}; attacker quarantined at step ${bad[0]!.trust!.quarantinedAtStep}; tab ${JSON.stringify(tabRow.trust)}`);
    expect(r.spotChecks.maxAgreeing).toBeLessThan(r.spotChecks.tolerance);
    // The dashboard's peers table: checks on every row, the attacker in red with its reason.
    await expect(page.locator('tr.st-quarantined small.quarantine-reason')).toContainText('SPOT_CHECK_FAILED', { timeout: 30_000 });
    await expect(page.locator('tr', { hasText: 'honest-tab' })).toContainText(/checks ✓\d+ ✗0/);
    await page.screenshot({ path: 'test-results/screenshots/spotcheck-dashboard.png', fullPage: true });
  } finally {
    attacker?.proc.kill('SIGKILL');
    cli.proc.kill('SIGKILL');
  }
});
