import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatWeightsCodec } from '../shared/compress';
import { describeSources } from '../shared/data/split';
import { peerStatus } from './server/status';
import type { TrainingCoordinator } from './run/coordinator';

/** The run's JSON report: what was asked, what happened, what it reached. */
export function buildReport(run: TrainingCoordinator, wallSeconds: number): Record<string, unknown> {
  const s = run.setup;
  const m = s.dataset.meta;
  const history = run.history;
  const stepMs = history.reduce((a, h) => a + h.ms + h.updateMs, 0);
  const computeMs = history.reduce((a, h) => a + h.computeMs, 0);
  return {
    config: s.config,
    runId: s.runId,
    dataset: { name: m.name, train: m.splits.train, val: m.splits.val, test: m.splits.test, hash: s.datasetFile.hash, bytes: s.datasetFile.bytes, sources: describeSources(m) },
    model: { name: s.config.model, params: s.model.trainableParams, stateParams: s.model.stateParams, layers: s.model.layers, loss: s.loss },
    peers: [...run.peers.values()].map((p) => ({
      id: p.id,
      nickname: p.nickname,
      kind: p.kind,
      backend: p.backend,
      backendNote: p.backendNote,
      renderer: p.renderer,
      samples: p.samples,
      steps: p.steps,
      evalSamples: p.evalSamples,
      meanComputeMs: p.steps > 0 ? p.computeMs / p.steps : 0,
      samplesPerSec: p.speed,
      connections: p.connections,
      status: peerStatus(run, p),
      /** Why it got no more work (an unusable result), if it did not. */
      quarantine: p.quarantine ?? null,
    })),
    /** Peers that left long ago, folded into totals (the roster stays bounded). */
    departedPeers: run.roster.departed,
    steps: run.step,
    epochs: run.accounting.filter((a) => a.complete).length,
    samplesPerSec: run.samplesPerSec(),
    wallSeconds,
    /** Share of step time spent outside the slowest tab's gradient computation. */
    timing: {
      meanStepMs: history.length ? stepMs / history.length : 0,
      meanComputeMs: history.length ? computeMs / history.length : 0,
      outsideComputeShare: stepMs > 0 ? 1 - computeMs / stepMs : 0,
    },
    history,
    /** `epoch` counts from 0 (as in checkpoints); `epochNumber` is the one the console and dashboard print ("epoch 1"). */
    evals: run.evaluator.evals.map((e) => ({ ...e, epochNumber: e.epoch + 1 })),
    final: run.evaluator.final,
    bestEpoch: run.evaluator.bestEpoch,
    bestEpochNumber: run.evaluator.bestEpoch === null ? null : run.evaluator.bestEpoch + 1,
    stopReason: run.evaluator.stopReason,
    accounting: { epochs: run.accounting.map((a) => ({ ...a, epochNumber: a.epoch + 1 })), ...run.engine.counters },
    /** Gradient bytes into the coordinator (every run) and, with --p2p, the last step's tree (coordinator/p2p/plane.ts). */
    p2p: run.p2p.view(),
    misclassified: run.evaluator.misclassified,
    /** Dashboard control actions (lr, optimizer, batch size, pause...), each at the step it took effect. */
    controls: run.controls,
    /** --weights-codec: weights payloads sent whole (fp32, or fp16) and as deltas, and their bytes. */
    weights: { codec: formatWeightsCodec(run.broadcast.codec), ...run.broadcast.counts },
    /** --mode async: staleness histogram and what was dropped. */
    async: run.async ? run.async.report() : null,
    /** --checkpoint-dir: what was saved, and where this run resumed from. */
    checkpoints: run.checkpointer ? run.checkpointer.summary() : null,
    exitReason: run.exitReason,
  };
}

export function writeReport(file: string, report: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 1));
}
