import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import '../../coordinator/tfjsNode';
import { DashboardFeed } from '../../coordinator/server/dashboardFeed';
import { prepareRun, type PreparedRun } from '../../coordinator/setup';
import { TrainingCoordinator, type Io } from '../../coordinator/run/coordinator';
import { parseConfig } from '../../shared/config/parse';
import { CloseStatus } from '../../shared/protocol/closeStatus';
import { parseDashboardMessage, type DashboardFeedMessage, type DashboardMessage } from '../../shared/protocol/dashboard';
import { startHarness, type Harness } from '../integration/harness';

/**
 * The dashboard's server side over real sockets: the control endpoint's
 * refusals and effects (on a live run), and the live feed (token check,
 * throttle, heartbeat, deltas) on a fake clock, each test with its own run
 * and feed.
 */
describe('dashboard controls over HTTP', () => {
  let h: Harness;
  let origin: string;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ dataset: 'xor', samples: 400, model: 'mlp', hidden: [8], steps: 100_000, batchSize: 16 }, 1);
    origin = new URL(h.c.localJoinUrl).origin;
    admin = h.c.adminToken;
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (body: unknown, token?: string): Promise<Response> =>
    fetch(`${origin}/api/control`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { 'x-admin-token': token } : {}) }, body: JSON.stringify(body) });

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

  it('refuses an lr of 1e308 and a batch of 1e9 with the accepted range (issue 13)', async () => {
    const lr = await post({ action: 'lr', value: 1e308 }, admin);
    expect(lr.status).toBe(400);
    expect(await lr.json()).toEqual({ ok: false, code: 'CONTROL_INVALID', message: 'lr must be in (0, 10], got 1e+308' });
    const batch = await post({ action: 'batchSize', value: 1e9 }, admin);
    expect(batch.status).toBe(400);
    expect(await batch.json()).toEqual({ ok: false, code: 'CONTROL_INVALID', message: 'batchSize must be a whole number in [1, 1000000], got 1000000000' });
    expect(h.c.run.lr).not.toBe(1e308);
  });

  it('applies a control and logs it', async () => {
    const ok = await post({ action: 'lr', value: 0.02 }, admin);
    expect(await ok.json()).toMatchObject({ ok: true, control: { action: 'lr', to: 0.02 } });
    expect(h.c.run.lr).toBe(0.02);
    expect(h.logs.some((l) => l.startsWith('control: lr'))).toBe(true);
  });
});

describe('dashboard feed (fake clock)', () => {
  let prepared: PreparedRun;
  beforeAll(async () => {
    prepared = await prepareRun(parseConfig({ dataset: 'xor', samples: 200, model: 'logreg', epochs: 3, batchSize: 16, host: '127.0.0.1', port: 0, peers: 0 }));
  });

  let run: TrainingCoordinator;
  let feed: DashboardFeed;
  let wss: WebSocketServer;
  let url: string;
  const clients: WebSocket[] = [];
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 1_000_000 });
    const io: Io = { now: () => Date.now(), send: () => undefined, wakeAt: () => undefined, log: () => undefined, finished: () => undefined };
    run = new TrainingCoordinator(prepared.setup, io);
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    feed = new DashboardFeed(run, { adminToken: 'admin', joinUrl: () => 'http://127.0.0.1:1/?t=join', connections: () => 0 });
    feed.attach(wss);
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.terminate();
    feed.close();
    await new Promise<void>((r) => wss.close(() => r()));
    vi.useRealTimers();
  });

  /** A dashboard client: every message parsed with the page's own parser, and a way to wait for the n-th. */
  function connect(token: string): { messages: DashboardFeedMessage[]; received(n: number): Promise<void>; closed: Promise<number>; opened: Promise<void> } {
    const ws = new WebSocket(`${url}/?admin=${token}`);
    clients.push(ws);
    const messages: DashboardFeedMessage[] = [];
    const waiting: { n: number; resolve: () => void }[] = [];
    ws.on('message', (d) => {
      const r = parseDashboardMessage(String(d));
      if (!r.ok) throw new Error(r.problem);
      messages.push(r.message);
      for (const w of waiting.filter((x) => messages.length >= x.n)) w.resolve();
    });
    return {
      messages,
      received: (n) => (messages.length >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve }))),
      closed: new Promise((resolve) => ws.on('close', (code) => resolve(code))),
      opened: new Promise((resolve) => ws.on('open', () => resolve())),
    };
  }

  /** Waits until the server has accepted `n` dashboards (its connection handler ran). */
  async function accepted(n: number): Promise<void> {
    while (feed.size < n) await new Promise((r) => setImmediate(r));
  }

  const step = (n: number) => ({ step: n, epoch: 0, loss: 1 / n, lr: 0.001, peers: 1, ms: 10, computeMs: 5, updateMs: 1, samples: 16, t: n / 10 });

  it('refuses a feed without the token', async () => {
    const c = connect('wrong');
    expect(await c.closed).toBe(CloseStatus.BAD_TOKEN);
    expect(c.messages).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_TOKEN' })]);
    expect(feed.size).toBe(0);
  });

  it('pushes at most once per 250 ms however often the run changes', async () => {
    const c = connect('admin');
    await accepted(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.pushes).toBe(1); // the first push goes out at once
    // 100 changes over one second: pushes at 250, 500, 750 and 1000 ms, no more.
    for (let i = 0; i < 100; i++) {
      feed.changed();
      await vi.advanceTimersByTimeAsync(10);
      if (i === 23) expect(feed.pushes).toBe(1); // t = 240 ms: still throttled
    }
    expect(feed.pushes).toBe(5);
    await c.received(5);
    const sent = c.messages.map((m) => (m as DashboardMessage).sentAt - 1_000_000);
    expect(sent).toEqual([0, 250, 500, 750, 1000]);
  });

  it('sends a heartbeat push every second while nothing happens, and nothing with no dashboard open', async () => {
    feed.changed();
    await vi.advanceTimersByTimeAsync(5000);
    expect(feed.pushes).toBe(0);
    const c = connect('admin');
    await accepted(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.pushes).toBe(1); // on connect
    await vi.advanceTimersByTimeAsync(3500);
    expect(feed.pushes).toBe(4); // then one a second
    await c.received(4);
  });

  it('sends the history as contiguous deltas', async () => {
    const c = connect('admin');
    await accepted(1);
    await vi.advanceTimersByTimeAsync(0);
    run.history.push(step(1), step(2));
    feed.changed();
    await vi.advanceTimersByTimeAsync(250);
    run.history.push(step(3));
    feed.changed();
    await vi.advanceTimersByTimeAsync(250);
    await c.received(3);
    const status = c.messages as DashboardMessage[];
    expect(status.map((m) => [m.history.from, m.history.items.map((h) => h.step)])).toEqual([
      [0, []],
      [0, [1, 2]],
      [2, [3]],
    ]);
    const last = status.at(-1)!;
    expect(last.base.joinUrl).toContain('?t=');
    expect(last.base.state).toBe('waiting');
  });
});
