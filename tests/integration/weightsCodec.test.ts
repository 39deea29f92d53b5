import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { joinParts } from '../../client/node/nodePeer';
import { PeerSession, type PeerStats } from '../../client/peer/session';
import { frameBytes, type PeerSocket } from '../../client/peer/socket';
import { SUPPORTED_CODECS } from '../../shared/compress';
import type { ConfigInput } from '../../shared/config/schema';
import { CloseStatus } from '../../shared/errors';
import { MessageCode, TaskFlag, TaskKind } from '../../shared/protocol';
import { startHarness } from './harness';
import { maxAbsDiff } from './reference';
import { Sim } from './sim';

/**
 * --weights-codec delta under faults. With the fake clock (sim.ts): peers
 * that leave and come back get full weights and continue on deltas, every
 * training task runs on exactly the mirror's weights, every evaluation on
 * the exact float32 master, and the accounting is exact. Over real ws: a
 * peer that misses a delta refuses the next one (its base is not what it
 * holds), reconnects, gets full weights, and the run loses nothing.
 */
const STEPS = 6;
const BATCH = 60;
const job: ConfigInput = { dataset: 'mnist', model: 'mlp', hidden: [16], optimizer: 'momentum', batchSize: BATCH, steps: STEPS, seed: 5, minPeers: 3 };

describe('weights deltas under faults', () => {
  it('fake clock: a peer leaves mid-run and comes back; copies match the mirror, evaluation gets the exact weights', async () => {
    const sim = await Sim.create({ ...job, weightsCodec: 'delta' });
    for (const name of ['a', 'b', 'c']) sim.join(name);
    let trainChecked = 0;
    let evalChecked = 0;
    let left = false;
    let back = false;
    sim.hook = (a, s) => {
      const copy = a.peer.weights.weights!;
      if (a.task.kind === TaskKind.EVAL) {
        expect(copy).toEqual(s.run.store.weights);
        evalChecked++;
      } else {
        expect(copy).toEqual(s.run.broadcast.mirrorWeights);
        trainChecked++;
      }
      if (!left && a.peer.name === 'b' && a.task.step === 2) {
        left = true;
        s.leave(a.peer, true); // its answer is lost with the connection; b misses versions 2 and 3
        return true;
      }
      if (left && !back && a.peer.name === 'a' && a.task.step === 4) {
        back = true;
        s.join('b', s.peer('b').token);
      }
      return false;
    };
    await sim.drive();
    expect(back).toBe(true);
    expect(sim.finished).toBe('completed');
    expect(sim.run.peers.get(sim.peer('b').id)!.connections).toBe(2);
    expect(sim.peers.map((p) => p.resyncs)).toEqual([0, 0, 0]); // never a delta on a base a peer lacks
    expect(sim.run.history[5]!.peers).toBe(3);
    expect(sim.run.step).toBe(STEPS);
    expect(sim.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: STEPS * BATCH })]);
    expect(trainChecked).toBeGreaterThanOrEqual(3 * STEPS - 1);
    expect(evalChecked).toBeGreaterThan(0);
    expect(sim.run.broadcast.counts.delta).toBeGreaterThanOrEqual(2 * STEPS);
    // Deltas change the weights each gradient is computed on by less than a quantization step: the run ends near the float32 one.
    const fp32 = await Sim.create(job);
    for (const name of ['a', 'b', 'c']) fp32.join(name);
    await fp32.drive();
    expect(maxAbsDiff(sim.run.store.weights, fp32.run.store.weights)).toBeLessThan(1e-3);
  });

  it('async mode: peers that skipped versions get full weights, no delta is refused; every sample applied once', async () => {
    const h = await startHarness({ dataset: 'xor', samples: 500, model: 'mlp', hidden: [8], epochs: 2, batchSize: 25, minPeers: 2, mode: 'async', maxStaleness: 2, lr: 0.05, weightsCodec: 'delta' }, 2);
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      expect(run.accounting.map((x) => [x.epoch, x.samplesUsed, x.complete])).toEqual([
        [0, 400, true],
        [1, 400, true],
      ]);
      const c = run.broadcast.counts;
      expect(c.full).toBeGreaterThan(2);
      expect(c.full + c.delta).toBeGreaterThanOrEqual(run.step);
      for (const p of run.peers.values()) expect(p.connections).toBe(1); // no delta was refused
    } finally {
      await h.close();
    }
  });

  it('real ws: a peer that missed a delta refuses the next, reconnects for full weights; the run loses nothing', async () => {
    const h = await startHarness({ ...job, model: 'logreg', steps: 12, minPeers: 2, weightsCodec: 'delta' }, 1);
    const { token, wsUrl, origin } = joinParts(h.c.localJoinUrl);
    let deltas = 0;
    let dropped = false;
    let resynced = false;
    // Loses the second delta TASK it is sent, once, as a broken link would, without closing.
    const lossy = (url: string): PeerSocket => {
      const ws = new WebSocket(url, { perMessageDeflate: false }) as unknown as PeerSocket;
      let onmessage: PeerSocket['onmessage'] = null;
      ws.onmessage = (ev) => {
        const b = frameBytes(ev.data);
        if (b && b[0] === MessageCode.TASK && (b[3]! & TaskFlag.WEIGHTS_DELTA) !== 0 && ++deltas === 2 && !dropped) {
          dropped = true;
          return;
        }
        onmessage?.(ev);
      };
      Object.defineProperty(ws, 'onmessage', { get: () => onmessage, set: (f: PeerSocket['onmessage']) => (onmessage = f) });
      return ws;
    };
    const session = new PeerSession({
      url: wsUrl,
      hello: { token, kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: 'lossy', codecs: SUPPORTED_CODECS },
      socket: lossy,
      resolveUrl: (path) => new URL(path, origin).toString(),
      onChange: (s: PeerStats) => {
        // Hold the run at the next step boundary until the peer is back, so that it is seen to work again.
        if (!resynced && s.reason.includes('WEIGHTS_BASE_MISSING')) {
          resynced = true;
          h.c.run.pause();
        }
      },
    });
    h.peers.push(session);
    session.start();
    try {
      const run = h.c.run;
      const back = async (): Promise<void> => {
        for (let i = 0; i < 600; i++) {
          const rec = [...run.peers.values()].find((p) => p.nickname === 'lossy');
          if (resynced && rec?.connections === 2 && rec.status === 'ready') return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('the lossy peer did not come back');
      };
      await back();
      run.resume();
      expect(await h.done).toBe('completed');
      expect(dropped).toBe(true);
      expect(h.logs.some((l) => l.includes(`left (${CloseStatus.WEIGHTS_RESYNC}, may reconnect)`))).toBe(true);
      const lossyRecord = [...run.peers.values()].find((p) => p.nickname === 'lossy')!;
      expect(lossyRecord.connections).toBe(2);
      expect(run.step).toBe(12);
      expect(run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: 12 * BATCH })]);
      expect(run.history.every((x) => x.samples === BATCH)).toBe(true);
      expect(lossyRecord.steps).toBeGreaterThan(2);
      expect(run.history.at(-1)!.peers).toBe(2); // it came back and worked to the end
    } finally {
      await h.close();
    }
  });
});
