import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { DashboardMessage, DashboardRefusal } from '../../shared/protocol/dashboard';
import { startHarness, type Harness } from '../integration/harness';

/**
 * The dashboard's server side over real sockets: the control endpoint's
 * refusals and effects, and the live feed (token check, throttle, deltas).
 */
let h: Harness;
let origin: string;
let admin: string;

beforeAll(async () => {
  h = await startHarness({ dataset: 'xor', samples: 400, model: 'mlp', hidden: [8], steps: 100_000, batchSize: 16 }, 1);
  origin = new URL(h.c.localJoinUrl).origin;
  admin = h.c.adminToken;
  while (h.c.run.step < 3) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await h?.close();
});

const post = (body: unknown, token?: string): Promise<Response> =>
  fetch(`${origin}/api/control`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { 'x-admin-token': token } : {}) }, body: JSON.stringify(body) });

function collect(url: string, ms: number): Promise<{ messages: (DashboardMessage | DashboardRefusal)[]; close: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const messages: (DashboardMessage | DashboardRefusal)[] = [];
    let close: number | null = null;
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.on('close', (code) => (close = code));
    setTimeout(() => {
      ws.close();
      resolve({ messages, close });
    }, ms);
  });
}

describe('dashboard server', () => {
  it('refuses controls without the admin token, and bad ones with a code', async () => {
    const none = await post({ action: 'pause' });
    expect(none.status).toBe(403);
    expect(await none.json()).toMatchObject({ ok: false, code: 'BAD_TOKEN' });
    expect((await post({ action: 'pause' }, 'wrong')).status).toBe(403);
    const bad = await post({ action: 'lr', value: 0 }, admin);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'CONTROL_INVALID' });
    const notJson = await fetch(`${origin}/api/control`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin-token': admin }, body: '{nope' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'CONTROL_INVALID' });
    expect(h.c.run.state).not.toBe('paused');
  });

  it('applies a control and logs it', async () => {
    const ok = await post({ action: 'lr', value: 0.02 }, admin);
    expect(await ok.json()).toMatchObject({ ok: true, control: { action: 'lr', to: 0.02 } });
    expect(h.c.run.lr).toBe(0.02);
    expect(h.logs.some((l) => l.startsWith('control: lr'))).toBe(true);
  });

  it('refuses a feed without the token', async () => {
    const r = await collect(`${origin.replace('http', 'ws')}/dashboard/ws?admin=wrong`, 500);
    expect(r.messages).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_TOKEN' })]);
    expect(r.close).toBe(4003);
  });

  it('pushes at most 4 snapshots a second, with the history as contiguous deltas', async () => {
    const r = await collect(`${origin.replace('http', 'ws')}/dashboard/ws?admin=${admin}`, 2100);
    const msgs = r.messages as DashboardMessage[];
    expect(msgs.length).toBeGreaterThanOrEqual(5);
    expect(msgs.length).toBeLessThanOrEqual(10);
    expect(msgs[0]!.history.from).toBe(0);
    let have = 0;
    for (const m of msgs) {
      expect(m.type).toBe('status');
      expect(m.history.from).toBe(have);
      have += m.history.items.length;
    }
    const last = msgs.at(-1)!;
    expect(have).toBeGreaterThanOrEqual(last.base.step - 1);
    expect(last.base.peers).toHaveLength(1);
    expect(last.base.timeline.bars.length).toBeGreaterThan(0);
    expect(last.base.joinUrl).toContain('?t=');
    expect(last.base.controls.some((c) => c.action === 'lr')).toBe(true);
    for (let i = 1; i < msgs.length; i++) expect(msgs[i]!.sentAt - msgs[i - 1]!.sentAt).toBeGreaterThanOrEqual(240);
  });
});
