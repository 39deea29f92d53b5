import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Heartbeat, type HeartbeatClock } from '../../coordinator/server/heartbeat';

/** A clock the test moves by hand; `every` hands the tick to the test instead of a timer. */
function manualClock(): HeartbeatClock & { t: number; ticking: boolean } {
  const c = {
    t: 0,
    ticking: false,
    now: () => c.t,
    every: () => {
      c.ticking = true;
      return () => (c.ticking = false);
    },
  };
  return c;
}

describe('Heartbeat over real sockets on loopback', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));

  async function pair(autoPong: boolean): Promise<{ server: WebSocket; client: WebSocket }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const accepted = once(wss, 'connection');
    // autoPong false: the client's network is gone (it can no longer answer).
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { autoPong });
    const [server] = (await accepted) as [WebSocket];
    await once(client, 'open');
    cleanup.push(() => {
      client.terminate();
      wss.close();
    });
    return { server, client };
  }

  it('keeps a socket that answers, drops one silent past the bound, and says so', async () => {
    const clock = manualClock();
    const silent: number[] = [];
    const hb = new Heartbeat({ intervalMs: 250, silentMs: 1000, clock, onSilent: (_, ms) => silent.push(ms) });
    const live = await pair(true);
    const gone = await pair(false);
    hb.watch(live.server);
    hb.watch(gone.server);
    expect(clock.ticking).toBe(true);
    for (let t = 250; t <= 1000; t += 250) {
      clock.t = t;
      const pong = once(live.server, 'pong');
      hb.tick();
      await pong; // the live client answered this ping
    }
    // 1001 ms after the last thing heard from it, the silent one goes; the live one was heard at 1000.
    clock.t = 1001;
    const closed = once(gone.client, 'close');
    hb.tick();
    const [code] = (await closed) as [number];
    expect(code).toBe(1006); // abnormal: the peer may come back with its reconnect token
    expect(silent).toEqual([1001]);
    expect(hb.size).toBe(1);
    expect(live.client.readyState).toBe(WebSocket.OPEN);
  });

  it('counts any message as a sign of life, and stops ticking when nothing is watched', async () => {
    const clock = manualClock();
    const hb = new Heartbeat({ intervalMs: 250, silentMs: 1000, clock });
    const quiet = await pair(false);
    hb.watch(quiet.server);
    clock.t = 900;
    const got = once(quiet.server, 'message');
    quiet.client.send(new Uint8Array([1]));
    await got;
    clock.t = 1500; // 600 ms after the message: still alive
    hb.tick();
    expect(quiet.server.readyState).toBe(WebSocket.OPEN);
    const closed = once(quiet.server, 'close');
    quiet.client.close();
    await closed;
    expect(hb.size).toBe(0);
    expect(clock.ticking).toBe(false);
  });

  it('does not blame the peers for its own stall: a late tick refreshes everyone, a silent one goes a bound later', async () => {
    const clock = manualClock();
    const silent: number[] = [];
    const hb = new Heartbeat({ intervalMs: 250, silentMs: 1000, clock, onSilent: (_, ms) => silent.push(ms) });
    const gone = await pair(false);
    hb.watch(gone.server);
    clock.t = 250;
    hb.tick();
    clock.t = 2500; // this process was blocked for 2.25 s: pongs, had there been any, are still queued
    hb.tick();
    expect(gone.server.readyState).toBe(WebSocket.OPEN);
    for (let t = 2750; t <= 3500; t += 250) {
      clock.t = t;
      hb.tick();
    }
    expect(silent).toEqual([]);
    clock.t = 3750; // 1250 ms of real silence since the stall
    const closed = once(gone.client, 'close');
    hb.tick();
    await closed;
    expect(silent).toEqual([1250]);
  });

  it('suspects a socket silent past the suspect bound once, before dropping it; a socket heard again can be suspected again', async () => {
    const clock = manualClock();
    const events: string[] = [];
    const hb = new Heartbeat({ intervalMs: 250, suspectMs: 750, silentMs: 1500, clock, onSuspect: (_, ms) => events.push(`suspect ${ms}`), onSilent: (_, ms) => events.push(`drop ${ms}`) });
    const quiet = await pair(false);
    hb.watch(quiet.server);
    for (let t = 250; t <= 1000; t += 250) {
      clock.t = t;
      hb.tick();
    }
    expect(events).toEqual(['suspect 1000']);
    expect(quiet.server.readyState).toBe(WebSocket.OPEN); // suspected, not dropped: it keeps its place
    // It speaks again (its worker was only busy): no longer suspect; a new silence is suspected anew.
    const got = once(quiet.server, 'message');
    quiet.client.send(new Uint8Array([1]));
    await got;
    for (let t = 1250; t <= 2000; t += 250) {
      clock.t = t;
      hb.tick();
    }
    expect(events).toEqual(['suspect 1000', 'suspect 1000']); // heard at 1000, silent again by 2000
    for (let t = 2250; t <= 2750; t += 250) {
      clock.t = t;
      hb.tick();
    }
    expect(events).toEqual(['suspect 1000', 'suspect 1000', 'drop 1750']);
  });

  it('refuses a silence bound not above the ping interval', () => {
    expect(() => new Heartbeat({ intervalMs: 500, silentMs: 500 })).toThrow('must exceed the ping interval');
  });
});
