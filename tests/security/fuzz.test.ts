import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeFp32 } from '../../shared/compress';
import { Rng } from '../../shared/data/rng';
import { encodeGrad, encodeHello, encodeReady } from '../../shared/protocol';
import { startHarness, type Harness } from '../integration/harness';

/**
 * Every WebSocket route (/ws, /dashboard/ws, /peerjs) fuzzed over real ws on
 * loopback while two node peers train: random bytes, text on the binary
 * route, invalid UTF-8, truncated protocol frames, oversized messages,
 * protocol frames out of order, and WebSocket frames cut off mid-header on a
 * raw TCP socket. Seeded, so a failure replays. The run must finish with
 * exact accounting and the server must still answer.
 */
const FRAMES = 3000;
const STEPS = 30;
const BATCH = 32;

type Route = 'peer' | 'dashboard' | 'peerjs';

function pathOf(h: Harness, route: Route, rng: Rng): string {
  if (route === 'peer') return '/ws';
  if (route === 'dashboard') return `/dashboard/ws?admin=${rng.nextFloat() < 0.8 ? h.c.adminToken : 'nope'}`;
  return `/peerjs?key=peerjs&id=f${rng.nextU32()}&token=t&t=${rng.nextFloat() < 0.9 ? h.c.joinToken : 'nope'}`;
}

function bytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextU32() & 0xff;
  return b;
}

const hello = (token: string): Uint8Array => encodeHello({ token, kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: 'fuzz', reconnectToken: '', codecs: [1] });

/** One fuzz frame for a route: [payload, binary?]. */
function frame(h: Harness, route: Route, rng: Rng, params: number): [Buffer | string, boolean] {
  const kind = rng.nextU32() % 9;
  switch (kind) {
    case 0:
      return [bytes(rng, rng.nextU32() % 2048), true];
    case 1:
      return [bytes(rng, 1 + (rng.nextU32() % 64)).toString('latin1'), false]; // text, valid UTF-8
    case 2:
      return [Buffer.from([0xc3, 0x28, 0xff, 0xfe]), false]; // text frame, invalid UTF-8 (sent as raw bytes)
    case 3: {
      const f = Buffer.from(hello(rng.nextFloat() < 0.5 ? h.c.joinToken : 'wrong'));
      return [f.subarray(0, rng.nextU32() % f.length), true]; // truncated HELLO
    }
    case 4: {
      const g = encodeGrad({ taskId: rng.nextU32(), step: rng.nextU32() % 100, weightsVersion: 0, count: 32, computeMs: 1, lossSum: 1, grad: encodeFp32(new Float32Array(params)), state: new Float32Array(0) });
      return [Buffer.from(g).subarray(0, rng.nextFloat() < 0.5 ? g.length : rng.nextU32() % g.length), true]; // a GRAD nobody asked for, whole or cut
    }
    case 5: {
      const limit = route === 'dashboard' ? 4096 : route === 'peerjs' ? 64 * 1024 : 64 * 1024 + 8 * params;
      return [Buffer.alloc(limit + 1 + (rng.nextU32() % 1024), 0x41), route !== 'peerjs']; // oversized
    }
    case 6:
      return [Buffer.from(hello(h.c.joinToken)), true];
    case 7:
      return [Buffer.from(encodeReady({ samplesPerSec: 1e9, warmupMs: 0 })), true];
    default:
      return [JSON.stringify({ type: 'OFFER', dst: `x${rng.nextU32()}`, payload: { sdp: 'x'.repeat(rng.nextU32() % 512) } }), false];
  }
}

/** Opens a socket, sends frames until it closes or `budget` runs out; returns frames sent. */
function session(h: Harness, route: Route, rng: Rng, budget: number, params: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const ws = new WebSocket(`ws://127.0.0.1:${h.c.port}${pathOf(h, route, rng)}`, { perMessageDeflate: false, skipUTF8Validation: true });
    const done = (): void => resolve(sent);
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_q, res) => (res.resume(), done()));
    ws.on('close', done);
    ws.on('open', () => {
      const pump = (): void => {
        if (ws.readyState !== ws.OPEN || sent >= budget) return void ws.terminate();
        const [payload, binary] = frame(h, route, rng, params);
        sent++;
        ws.send(payload, { binary }, () => setImmediate(pump));
      };
      pump();
    });
  });
}

/** A WebSocket frame cut off mid-payload on a raw socket (the ws client cannot send one). */
function truncatedFrame(h: Harness, rng: Rng): Promise<number> {
  return new Promise((resolve) => {
    const s = connect(h.c.port, '127.0.0.1');
    s.on('error', () => resolve(1));
    s.on('close', () => resolve(1));
    s.on('connect', () => {
      s.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from(bytes(rng, 16)).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      s.once('data', () => {
        // FIN + binary, masked, 126 -> 16-bit length 1000, mask key, then only 10 payload bytes.
        s.write(Buffer.concat([Buffer.from([0x82, 0xfe, 0x03, 0xe8]), bytes(rng, 4), bytes(rng, 10)]));
        s.end();
      });
    });
  });
}

describe('fuzzing every WebSocket route while a run trains', () => {
  it(`${FRAMES} frames: the run finishes with exact accounting and the server still answers`, async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: STEPS, batchSize: BATCH, minPeers: 2 }, 2);
    try {
      const params = h.prepared.setup.model.trainableParams;
      const rng = new Rng(20261201);
      const sent: Record<Route | 'tcp', number> = { peer: 0, dashboard: 0, peerjs: 0, tcp: 0 };
      const total = (): number => sent.peer + sent.dashboard + sent.peerjs + sent.tcp;
      const lane = async (route: Route): Promise<void> => {
        while (total() < FRAMES) sent[route] += await session(h, route, rng, 1 + (rng.nextU32() % 50), params);
      };
      const tcp = async (): Promise<void> => {
        while (total() < FRAMES) sent.tcp += await truncatedFrame(h, rng);
      };
      await Promise.all([lane('peer'), lane('dashboard'), lane('peerjs'), tcp()]);
      expect(await h.done).toBe('completed');
      expect(h.c.run.step).toBe(STEPS);
      expect(h.c.run.accounting[0]!.samplesUsed).toBe(STEPS * BATCH);
      const status = await fetch(`http://127.0.0.1:${h.c.port}/api/status?admin=${h.c.adminToken}`);
      expect(status.status).toBe(200);
      expect(total()).toBeGreaterThanOrEqual(FRAMES);
      console.log(`fuzz: ${total()} frames (${JSON.stringify(sent)}); run completed ${STEPS} steps, ${STEPS * BATCH} samples`);
    } finally {
      await h.close();
    }
  });
});
