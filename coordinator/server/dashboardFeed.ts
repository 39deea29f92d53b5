import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { CloseStatus } from '../../shared/errors';
import type { RunView } from '../run/view';
import type { DashboardMessage, DashboardRefusal } from '../../shared/protocol/dashboard';
import { dashboardBase } from './status';

/**
 * Live pushes to open dashboards over a WebSocket (/dashboard/ws?admin=...).
 * The coordinator calls `changed()` after every event it handles; the feed
 * sends at most one snapshot per `minIntervalMs` (4 per second), and one per
 * `heartbeatMs` while nothing happens, so ages and rates stay current. With
 * no dashboard open it does nothing at all. The base is serialised once per
 * push; the growing history goes to each client from where it left off.
 */
export interface DashboardFeedOptions {
  adminToken: string;
  joinUrl: () => string;
  connections: () => number;
  minIntervalMs?: number;
  heartbeatMs?: number;
}

interface Client {
  ws: WebSocket;
  history: number;
  breakdown: number;
}

export class DashboardFeed {
  private readonly clients = new Set<Client>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastPush = 0;
  /** Pushes sent, and the wall and CPU time spent building and sending them (for measurements). */
  pushes = 0;
  busyMs = 0;
  cpuMs = 0;

  constructor(
    private readonly run: RunView,
    private readonly o: DashboardFeedOptions,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  attach(wss: WebSocketServer): void {
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.accept(ws, req));
  }

  /** Something happened: push soon, but no sooner than the interval allows. */
  changed(): void {
    if (this.clients.size === 0 || this.timer) return;
    const wait = Math.max(0, this.lastPush + (this.o.minIntervalMs ?? 250) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.push();
    }, wait);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = this.heartbeat = null;
    // Open dashboards get the final state before the coordinator goes (not a stale "training 649/650").
    this.push();
    for (const c of this.clients) c.ws.close(1001, 'coordinator exited');
    this.clients.clear();
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('admin');
    if (token !== this.o.adminToken) {
      const refusal: DashboardRefusal = { type: 'error', code: 'BAD_TOKEN', message: 'wrong or missing admin token: open the dashboard link the coordinator printed' };
      ws.send(JSON.stringify(refusal));
      ws.close(CloseStatus.BAD_TOKEN, 'BAD_TOKEN');
      return;
    }
    const c: Client = { ws, history: 0, breakdown: 0 };
    this.clients.add(c);
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.clients.delete(c);
      if (this.clients.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    });
    this.heartbeat ??= setInterval(() => this.changed(), this.o.heartbeatMs ?? 1000);
    this.changed();
  }

  private push(): void {
    this.lastPush = Date.now();
    if (this.clients.size === 0) return;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const run = this.run;
    const base = JSON.stringify(dashboardBase(run, this.o.connections(), this.o.joinUrl()));
    const head = `{"type":"status","sentAt":${Date.now()},"runStartedAt":${performance.timeOrigin + run.startedAt},"base":${base}`;
    // Clients are usually at the same point: serialise each distinct delta once.
    const deltas = new Map<string, string>();
    for (const c of this.clients) {
      if (c.ws.readyState !== c.ws.OPEN) continue;
      // A slow client gets no new frame until it has drained the last one.
      if (c.ws.bufferedAmount > 4 << 20) continue;
      const k = `${c.history}/${c.breakdown}`;
      let tail = deltas.get(k);
      if (tail === undefined) {
        const history: DashboardMessage['history'] = { from: c.history, items: run.history.slice(c.history) };
        const breakdown: DashboardMessage['breakdown'] = { from: c.breakdown, items: run.timeline.breakdown.slice(c.breakdown) };
        tail = `,"history":${JSON.stringify(history)},"breakdown":${JSON.stringify(breakdown)}}`;
        deltas.set(k, tail);
      }
      c.ws.send(head + tail);
      c.history = run.history.length;
      c.breakdown = run.timeline.breakdown.length;
    }
    this.pushes++;
    this.busyMs += performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    this.cpuMs += (cpu.user + cpu.system) / 1000;
  }
}
