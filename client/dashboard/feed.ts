import { CloseStatus } from '../../shared/protocol/closeStatus';
import { parseDashboardMessage, type DashboardBase, type HistoryEntryView, type StepBreakdownView } from '../../shared/protocol/dashboard';

/**
 * The dashboard's live connection: a WebSocket to /dashboard/ws that the
 * coordinator pushes snapshots on. It keeps the growing history and step
 * breakdown (sent as deltas), starts over when the run changes (a restarted
 * coordinator), and reconnects by itself with backoff when the connection
 * drops. A refused admin token is final: retrying cannot fix it. Every
 * message is parsed with the feed's schemas (shared/protocol/dashboard.ts);
 * one that does not match is not drawn, and the page says what was wrong.
 */
export interface RunView {
  base: DashboardBase;
  history: HistoryEntryView[];
  breakdown: StepBreakdownView[];
  runStartedAt: number;
  sentAt: number;
}

/** `invalid`: the last message did not match the feed's schema (a bug, or a page older than its coordinator); the view keeps the last good one. */
export type Connection = { state: 'connecting' | 'live' | 'retrying' | 'invalid'; detail: string } | { state: 'refused'; detail: string };

export interface FeedOptions {
  url: string;
  onView: (v: RunView) => void;
  onConnection: (c: Connection) => void;
}

export function connectFeed(o: FeedOptions): { close(): void } {
  let view: RunView | null = null;
  let backoff = 500;
  let closed = false;
  let ws: WebSocket | null = null;
  let lostAt = 0;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const open = (): void => {
    o.onConnection({ state: lostAt ? 'retrying' : 'connecting', detail: lostAt ? retryText(lostAt) : 'connecting to the coordinator' });
    const s = new WebSocket(o.url);
    ws = s;
    let refused = false;
    s.onmessage = (ev) => {
      const parsed = parseDashboardMessage(String(ev.data));
      if (!parsed.ok) {
        o.onConnection({ state: 'invalid', detail: `FRAME_INVALID: ${parsed.problem}; reload the page` });
        return;
      }
      const m = parsed.message;
      if (m.type === 'error') {
        refused = true;
        o.onConnection({ state: 'refused', detail: `${m.code}: ${m.message}` });
        return;
      }
      backoff = 500;
      lostAt = 0;
      if (!view || view.base.runId !== m.base.runId || m.history.from !== view.history.length || m.breakdown.from !== view.breakdown.length) {
        // A new run (or a gap): start over from what this message carries.
        view = { base: m.base, history: [], breakdown: [], runStartedAt: m.runStartedAt, sentAt: m.sentAt };
        if (m.history.from !== 0 || m.breakdown.from !== 0) {
          s.close(CloseStatus.DASHBOARD_RESYNC, 'resync');
          return;
        }
      }
      view.base = m.base;
      view.sentAt = m.sentAt;
      view.runStartedAt = m.runStartedAt;
      for (const h of m.history.items) view.history.push(h);
      for (const b of m.breakdown.items) view.breakdown.push(b);
      o.onConnection({ state: 'live', detail: 'live' });
      o.onView(view);
    };
    s.onclose = () => {
      if (ws !== s || closed || refused) return;
      if (!lostAt) lostAt = Date.now();
      o.onConnection({ state: 'retrying', detail: retryText(lostAt) });
      retry = setTimeout(open, backoff);
      backoff = Math.min(5000, backoff * 2);
    };
  };
  open();
  return {
    close: () => {
      closed = true;
      if (retry) clearTimeout(retry);
      ws?.close();
    },
  };
}

function retryText(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return s < 1 ? 'lost the connection to the coordinator: retrying automatically' : `coordinator unreachable for ${s} s: retrying automatically`;
}
