/**
 * Notices a peer whose network went away without a close (a laptop lid shut,
 * Wi-Fi gone): such a socket stays "open" for minutes, and without this the
 * shard it holds waits for its deadline. Every INTERVAL the coordinator pings
 * each watched socket (a WebSocket ping frame: the browser's network stack
 * answers it even while the tab's worker is busy computing); a socket from
 * which nothing (pong or message) has come for SILENT is terminated. The
 * termination closes it abnormally (1006), so the usual close path runs:
 * the coordinator's leave(peerId, reconnecting = true) reassigns its shard at
 * once, and the tab that comes back rejoins under its reconnect token.
 *
 * Before that, a socket silent for SUSPECT is suspected: the coordinator
 * sends backup copies of its shards to idle peers, so the step goes on
 * without waiting for the drop (or for the shard's deadline).
 *
 * The clock is injected, so tests drive it by hand.
 */
export const HEARTBEAT_INTERVAL_MS = 250;
/**
 * Six missed pings: above a loaded 2-core machine's scheduling hiccups (at 1000 ms, tabs of a clean
 * e2e run under load were dropped and rejoined twice each), well below any shard deadline (3 s floor).
 */
export const HEARTBEAT_SILENT_MS = 1500;
/**
 * Three missed pings: the socket is suspected, not dropped. Its shards are
 * due at once and go as backup copies to idle peers (the first copy in
 * wins), so a tab gone silent costs a step about this much, while a tab that
 * was only slow to answer keeps its place and loses nothing.
 */
export const HEARTBEAT_SUSPECT_MS = 750;

/** The slice of a `ws` WebSocket the heartbeat needs. */
export interface HeartbeatSocket {
  readonly readyState: number;
  readonly OPEN: number;
  ping(): void;
  terminate(): void;
  on(event: 'pong' | 'message' | 'close', listener: () => void): unknown;
}

export interface HeartbeatClock {
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
}

export const realClock: HeartbeatClock = {
  now: () => performance.now(),
  every: (ms, tick) => {
    const t = setInterval(tick, ms);
    t.unref?.(); // never what keeps a process alive
    return () => clearInterval(t);
  },
};

export interface HeartbeatOptions {
  intervalMs?: number;
  silentMs?: number;
  suspectMs?: number;
  clock?: HeartbeatClock;
  /** Told once per silence longer than suspectMs (again only after the socket was heard from). */
  onSuspect?: (ws: HeartbeatSocket, silentMs: number) => void;
  /** Told before a silent socket is terminated, with how long it had been silent. */
  onSilent?: (ws: HeartbeatSocket, silentMs: number) => void;
}

export class Heartbeat {
  private readonly heard = new Map<HeartbeatSocket, number>();
  /** Sockets already reported suspect in their current silence. */
  private readonly suspected = new Set<HeartbeatSocket>();
  private stopTicking: (() => void) | null = null;
  /** When the last tick ran: a tick far later than the interval means this process, not the peers, was stalled. */
  private lastTick: number | null = null;
  private readonly intervalMs: number;
  private readonly silentMs: number;
  private readonly suspectMs: number;
  private readonly clock: HeartbeatClock;

  constructor(private readonly o: HeartbeatOptions = {}) {
    this.intervalMs = o.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.silentMs = o.silentMs ?? HEARTBEAT_SILENT_MS;
    this.suspectMs = Math.min(o.suspectMs ?? HEARTBEAT_SUSPECT_MS, this.silentMs);
    this.clock = o.clock ?? realClock;
    if (!(this.intervalMs > 0) || !(this.silentMs > this.intervalMs)) throw new Error(`heartbeat: the silence bound (${this.silentMs} ms) must exceed the ping interval (${this.intervalMs} ms)`);
  }

  /** Sockets being watched now. */
  get size(): number {
    return this.heard.size;
  }

  watch(ws: HeartbeatSocket): void {
    if (this.heard.has(ws)) return;
    this.heard.set(ws, this.clock.now());
    const alive = (): void => {
      if (!this.heard.has(ws)) return;
      this.heard.set(ws, this.clock.now());
      this.suspected.delete(ws);
    };
    ws.on('pong', alive);
    ws.on('message', alive);
    ws.on('close', () => this.forget(ws));
    this.stopTicking ??= this.clock.every(this.intervalMs, () => this.tick());
  }

  forget(ws: HeartbeatSocket): void {
    this.heard.delete(ws);
    this.suspected.delete(ws);
    if (this.heard.size === 0 && this.stopTicking) {
      this.stopTicking();
      this.stopTicking = null;
      this.lastTick = null;
    }
  }

  /** One round: terminate the silent, ping the rest. */
  tick(): void {
    const now = this.clock.now();
    const stalled = this.lastTick !== null && now - this.lastTick > this.silentMs / 2;
    this.lastTick = now;
    if (stalled) {
      // Our own event loop was blocked (a long GC, a checkpoint, a loaded machine): the pongs that came
      // meanwhile are still queued behind this timer, so silence now says nothing about the peers.
      for (const ws of this.heard.keys()) this.heard.set(ws, now);
      this.suspected.clear();
    }
    for (const [ws, at] of [...this.heard]) {
      if (ws.readyState !== ws.OPEN) continue; // closing: its close event forgets it
      const silent = now - at;
      if (silent > this.silentMs) {
        this.forget(ws);
        this.o.onSilent?.(ws, silent);
        ws.terminate();
        continue;
      }
      if (silent > this.suspectMs && !this.suspected.has(ws)) {
        this.suspected.add(ws);
        this.o.onSuspect?.(ws, silent);
      }
      try {
        ws.ping();
      } catch {
        // a socket failing under us: its close event follows
      }
    }
  }

  stop(): void {
    this.stopTicking?.();
    this.stopTicking = null;
    this.heard.clear();
    this.suspected.clear();
  }
}
