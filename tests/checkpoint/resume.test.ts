import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../coordinator/checkpoint/checkpointStore';
import type { ConfigInput } from '../../shared/config/schema';
import { startHarness } from '../integration/harness';
import { pauseAfterStep, when } from '../integration/when';

/**
 * A run checkpointed, stopped mid-run (no checkpoint at the stop: as after a
 * kill -9), and resumed by a new coordinator on the same port: its peer
 * reconnects by itself with the saved join token and its reconnect token,
 * the run ends with the weights an uninterrupted run reaches (bit for bit:
 * one node peer computes each whole batch, the deterministic path), the
 * accounting is exact, and the peer's counters continue.
 */
const dir = mkdtempSync(join(tmpdir(), 'tabtrain-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// xor: 320 training samples, 10 steps per epoch, 3 epochs; adam (moments and step count matter).
const job: ConfigInput = { dataset: 'xor', samples: 400, model: 'mlp', hidden: [16], optimizer: 'adam', lr: 0.01, batchSize: 32, epochs: 3, seed: 11 };

describe('checkpoint and resume', () => {
  it('a resumed run ends with the weights of an uninterrupted run; the peer reconnects and continues', async () => {
    const clean = await startHarness(job, 1);
    let cleanWeights: Float32Array;
    let cleanVal: number[];
    try {
      expect(await clean.done).toBe('completed');
      cleanWeights = Float32Array.from(clean.c.run.store.weights);
      cleanVal = clean.c.run.evaluator.evals.map((e) => e.valLoss);
    } finally {
      await clean.close();
    }

    const first = await startHarness({ ...job, checkpointDir: dir, checkpointEvery: 7 }, 1);
    const peer = first.peers[0]!;
    const port = first.c.port;
    pauseAfterStep(first.c.run, 18);
    await when(first.c.run, () => first.c.run.state === 'paused');
    expect(first.c.run.step).toBe(18);
    const peerId = [...first.c.run.peers.keys()][0]!;
    // The coordinator goes away without a last checkpoint; the peer keeps retrying.
    await first.c.close({ restarting: true });
    const store = new CheckpointStore(dir, 3);
    expect(store.list().map((x) => x.step)).toEqual([14, 7]);
    // The newest checkpoint is damaged (a crash during a copy): resume must report it and use step 7.
    truncateSync(store.list()[0]!.file, 1000);

    const second = await startHarness({ ...job, checkpointDir: dir, checkpointEvery: 7, resume: true, port }, 0);
    try {
      expect(second.c.joinToken).toBe(first.c.joinToken);
      expect(second.logs.some((l) => /CHECKPOINT_INVALID: checkpoint .*ckpt-000000014\.ttck: truncated/.test(l))).toBe(true);
      expect(second.logs.some((l) => /resumed from .*ckpt-000000007\.ttck: step 7\/30/.test(l))).toBe(true);
      expect(await second.done).toBe('completed');
      const run = second.c.run;
      expect(run.step).toBe(30);
      expect(run.store.weights).toEqual(cleanWeights!);
      expect(run.evaluator.evals.map((e) => e.valLoss)).toEqual(cleanVal!);
      expect(run.history.map((h) => h.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(run.accounting.map((a) => [a.epoch, a.samplesUsed, a.complete])).toEqual([
        [0, 320, true],
        [1, 320, true],
        [2, 320, true],
      ]);
      // The same peer, back under its token: one record, two connections, counters continued exactly.
      expect([...run.peers.keys()]).toEqual([peerId]);
      const p = run.peers.get(peerId)!;
      expect(p.connections).toBe(2);
      expect(p.samples).toBe(960);
      expect(p.steps).toBe(30);
      expect(run.checkpointer!.resumedFrom!.step).toBe(7);
    } finally {
      peer.stop();
      await second.close();
    }
  });

  it('async mode: batches out at the checkpoint are computed again after a resume; exactly once per epoch', async () => {
    const adir = mkdtempSync(join(tmpdir(), 'tabtrain-resume-async-'));
    try {
      const ajob: ConfigInput = { ...job, mode: 'async', maxStaleness: 3, minPeers: 3, checkpointDir: adir, checkpointEvery: 5 };
      const first = await startHarness(ajob, 3);
      // Paused at step 11, the 3 gradients out may still land (applied): at most step 14, so step 10 is the newest checkpoint.
      pauseAfterStep(first.c.run, 11);
      await when(first.c.run, () => first.c.run.state === 'paused');
      await when(first.c.run, () => first.c.run.ledger.inFlight().size === 0); // the gradients out have landed
      expect(first.c.run.step).toBeLessThan(15);
      await first.c.close({ restarting: true });
      const second = await startHarness({ ...ajob, resume: true, port: first.c.port }, 0);
      try {
        expect(second.logs.some((l) => /resumed from .*ckpt-0+10\.ttck: step 10\/30/.test(l))).toBe(true);
        expect(await second.done).toBe('completed');
        const run = second.c.run;
        expect(run.step).toBe(30);
        expect(run.history.map((h) => h.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(run.accounting.map((a) => [a.epoch, a.samplesUsed, a.complete])).toEqual([
          [0, 320, true],
          [1, 320, true],
          [2, 320, true],
        ]);
        const hist = run.async!.histogram;
        expect(hist).toHaveLength(4);
        expect(hist.reduce((a, b) => a + b, 0)).toBe(30);
        expect([...run.peers.values()].reduce((a, p) => a + p.samples, 0)).toBe(960);
        for (const p of run.peers.values()) expect(p.connections).toBe(2);
      } finally {
        for (const p of first.peers) p.stop();
        await second.close();
      }
    } finally {
      rmSync(adir, { recursive: true, force: true });
    }
  });

  it('a fresh run refuses a directory holding checkpoints; a different configuration is refused on resume', async () => {
    const tokens = readFileSync(join(dir, 'tokens.json'), 'utf8');
    await expect(startHarness({ ...job, checkpointDir: dir }, 0)).rejects.toThrow(/already holds checkpoints .*add --resume/);
    expect(readFileSync(join(dir, 'tokens.json'), 'utf8')).toBe(tokens); // the open tabs' join link still works
    await expect(startHarness({ ...job, batchSize: 64, checkpointDir: dir, resume: true }, 0)).rejects.toThrow(/made with batchSize = 32, this run has 64/);
  });
});
