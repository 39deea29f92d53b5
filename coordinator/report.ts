import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatWeightsCodec } from '../shared/compress';
import { describeSources } from '../shared/data/split';
import { peerStatus } from './server/status';
import type { RunView } from './run/view';

/** The run's JSON report: what was asked, what happened, what it reached. */
export function buildReport(run: RunView, wallSeconds: number): Record<string, unknown> {
  const s = run.setup;
  const m = s.dataset.meta;
  const history = run.history;
  const stepMs = history.reduce((a, h) => a + h.ms + h.updateMs, 0);
  const computeMs = history.reduce((a, h) => a + h.computeMs, 0);
  const trust = run.spot.table();
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
      /** Spot checks passed/failed, samples accepted since its last passed check, its gradient norm against the others' (coordinator/aggregate/spotRounds.ts). */
      trust: trust[p.id] ?? null,
    })),
    /** --spot-check: the fraction, the tolerance, checks settled and refereed, the largest distance between agreeing results. */
    spotChecks: run.spot.enabled ? run.spot.stats : null,
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
    /** --target-accuracy: where the run stopped at it (`epoch` from 0), or null (not set, or not reached). */
    targetReached: run.evaluator.targetReached ? { ...run.evaluator.targetReached, epochNumber: run.evaluator.targetReached.epoch + 1 } : null,
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
    /** --mode local (DiLoCo): H, the inner optimizer the peers run, the outer one here (its lr as the dashboard left it), and the rounds. */
    local: s.config.mode === 'local' ? localSummary(run) : null,
    /** --checkpoint-dir: what was saved, and where this run resumed from. */
    checkpoints: run.checkpointer ? run.checkpointer.summary() : null,
    exitReason: run.exitReason,
  };
}

function localSummary(run: RunView): Record<string, unknown> {
  const c = run.setup.config;
  const outer = run.optimizer.name;
  return {
    localSteps: c.localSteps,
    innerOptimizer: c.optimizer,
    innerLr: run.setup.lr,
    outerOptimizer: outer,
    outerLr: run.lr,
    outerMomentum: outer === 'momentum' || outer === 'nesterov' ? c.outerMomentum : null,
    /** Outer updates: one per round of up to H global batches (fewer at an epoch's end). */
    rounds: run.history.length,
  };
}

export function writeReport(file: string, report: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 1));
}
