import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeFp32 } from '../../shared/compress';
import { MessageCode, decodeMessage, encodeGrad, encodeHello, encodeReady, type TaskFrame } from '../../shared/protocol';
import { startHarness, type Harness } from './harness';

/**
 * Nothing a client sends can crash the coordinator or touch the weights:
 * each bad frame closes that client with a typed reason; the run goes on.
 */
interface Rogue {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  task: Promise<TaskFrame>;
}

function rogue(h: Harness, token = h.c.joinToken): Rogue {
  const ws = new WebSocket(`ws://127.0.0.1:${h.c.port}/ws`);
  let gotTask: (t: TaskFrame) => void = () => undefined;
  const task = new Promise<TaskFrame>((r) => (gotTask = r));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  ws.on('open', () => ws.send(encodeHello({ token, kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: 'rogue', reconnectToken: '', codecs: [1] })));
  ws.on('message', (data: Buffer) => {
    const m = decodeMessage(new Uint8Array(data));
    if (m.code === MessageCode.WELCOME) ws.send(encodeReady({ samplesPerSec: 1e6, warmupMs: 1 }));
    if (m.code === MessageCode.TASK) gotTask(m.task);
  });
  return { ws, closed, task };
}

const grad = (t: TaskFrame, values: Float32Array, count = t.indices.length): Uint8Array =>
  encodeGrad({ taskId: t.taskId, step: t.step, weightsVersion: t.weightsVersion, count, computeMs: 1, lossSum: 1, grad: encodeFp32(values), state: new Float32Array(0) });

describe('bad input closes one client; the run goes on', () => {
  it.each([
    ['a gradient of the wrong length', (t: TaskFrame, n: number) => grad(t, new Float32Array(n - 1)), 'GRAD_WRONG_LENGTH'],
    ['a gradient with NaN', (t: TaskFrame, n: number) => grad(t, new Float32Array(n).fill(Number.NaN)), 'GRAD_NOT_FINITE'],
    ['a gradient claiming the wrong sample count', (t: TaskFrame, n: number) => grad(t, new Float32Array(n), t.indices.length + 5), 'GRAD_WRONG_LENGTH'],
    ['an unknown message code', () => Uint8Array.of(0x7e, 1, 2, 3), 'FRAME_UNKNOWN_CODE'],
    ['a truncated GRAD', () => Uint8Array.of(0x05, 1, 0, 0), 'FRAME_TRUNCATED'],
    ['a second HELLO', () => encodeHello({ token: 'x', kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: '', reconnectToken: '', codecs: [1] }), 'FRAME_INVALID'],
  ])('%s', async (_name, make, code) => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: 8, batchSize: 64, minPeers: 2 }, 1);
    try {
      const r = rogue(h);
      const t = await r.task;
      const before = Float32Array.from(h.c.run.store.weights);
      const version = h.c.run.store.version;
      r.ws.send(make(t, h.prepared.setup.model.trainableParams));
      const closed = await r.closed;
      expect(closed.reason).toContain(code);
      // The bad frame touched nothing: same version, same weights, until honest peers move on.
      if (h.c.run.store.version === version) expect(h.c.run.store.weights).toEqual(before);
      expect(await h.done).toBe('completed');
      expect(h.c.run.step).toBe(8);
      expect(h.c.run.accounting[0]!.samplesUsed).toBe(8 * 64);
    } finally {
      await h.close();
    }
  });

  it('a text frame closes the client with FRAME_TEXT', async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: 2, batchSize: 16 }, 0);
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${h.c.port}/ws`);
      const closed = new Promise<string>((r) => ws.on('close', (_c, reason) => r(reason.toString())));
      ws.on('open', () => ws.send('hello'));
      expect(await closed).toContain('FRAME_TEXT');
    } finally {
      await h.close();
    }
  });

  it('a wrong join token is refused with 4003 and a reason', async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: 2, batchSize: 16 }, 0);
    try {
      const r = rogue(h, 'wrong');
      const c = await r.closed;
      expect(c.code).toBe(4003);
      expect(c.reason).toMatch(/^BAD_TOKEN: .*join link/);
      expect(h.c.run.peers.size).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('a peer that disconnects mid-step has its shard given to another; nothing is lost', async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: 10, batchSize: 64, minPeers: 2 }, 1);
    try {
      const r = rogue(h);
      await r.task; // holds a shard of step 0 and never answers
      r.ws.terminate();
      expect(await h.done).toBe('completed');
      expect(h.c.run.step).toBe(10);
      expect(h.c.run.accounting[0]!.samplesUsed).toBe(640);
      expect(h.c.run.engine.counters.reassigned).toBeGreaterThanOrEqual(1);
    } finally {
      await h.close();
    }
  });
});
