import type { BarView, DashboardBase } from '../../shared/protocol/dashboard';
import type { PeerRecord } from '../run/types';
import type { DeepReadonly, RunView } from '../run/view';

/**
 * What the dashboard sees: the fleet, the curves, the recent shards and the
 * run's figures. The message types and their schemas are the contract in
 * shared/protocol/dashboard.ts (the page parses every push with them);
 * `dashboardBase` builds the part rebuilt for every push; the history and
 * step breakdown only grow, so they go out as deltas (see dashboardFeed.ts).
 * They read the run through its read-only view (run/view.ts), and the base
 * they build shares the run's arrays, so it is read-only too.
 */
export type { BarView, DashboardBase, DashboardMessage, DashboardRefusal, PeerView } from '../../shared/protocol/dashboard';

export function dashboardBase(run: RunView, connections: number, joinUrl: string): DeepReadonly<DashboardBase> {
  const s = run.setup;
  const now = run.now();
  const all = [...run.peers.values()];
  const total = all.reduce((a, p) => a + p.samples, 0);
  const m = s.dataset.meta;
  const params = s.model.trainableParams;
  const lastStep = run.timeline.breakdown.at(-1);
  const shards = lastStep?.shards ?? run.readyPeers;
  const down = 4 * (params + s.model.stateParams);
  const up = 4 * params;
  const lastEval = [...run.evaluator.evals].reverse().find((e) => 'confusion' in e.metrics);
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  const trust = run.spot.table();
  return {
    runId: s.runId,
    state: run.state,
    step: run.step,
    totalSteps: run.totalSteps,
    epoch: run.sampler.epoch,
    stepsPerEpoch: run.sampler.stepsPerEpoch,
    samplesPerSec: run.samplesPerSec(),
    connections,
    readyPeers: run.readyPeers,
    minPeers: s.config.minPeers,
    lr: run.lr,
    optimizer: run.optimizer.name,
    batchSize: run.sampler.batchSize,
    joinUrl,
    config: s.config,
    model: { params, state: s.model.stateParams, layers: s.model.layers },
    dataset: { name: m.name, task: m.task, inputShape: m.inputShape, numClasses: m.numClasses, classNames: m.classNames ?? null, url: s.datasetFile.url, featureType: m.featureType, splits: m.splits },
    derived: { bytesDownPerPeer: down, bytesUpPerPeer: up, shardsLastStep: shards, bytesPerStep: shards * (down + up) },
    peers: all.map((p) => ({
      id: p.id,
      nickname: p.nickname,
      kind: p.kind,
      backend: p.backend,
      backendNote: p.backendNote,
      renderer: p.renderer,
      status: peerStatus(run, p),
      speed: Math.round(p.speed),
      samples: p.samples,
      steps: p.steps,
      share: total > 0 ? p.samples / total : 0,
      seenAgo: r1((now - p.lastSeen) / 1000),
      connections: p.connections,
      ...(trust[p.id] ? { trust: { passed: trust[p.id]!.passed, failed: trust[p.id]!.failed, normRatio: trust[p.id]!.normRatio ?? Number.NaN } } : {}),
      ...(p.quarantine ? { quarantine: `${p.quarantine.code}: ${p.quarantine.reason}` } : {}),
    })),
    timeline: {
      bars: run.timeline.bars.map((b): BarView => [
        b.peerId,
        b.kind,
        b.round,
        r1(now - b.sentAt),
        b.returnedAt === null ? -1 : r1(now - b.returnedAt),
        b.computeMs === null ? -1 : r1(b.computeMs),
        b.outcome ?? '',
        b.backup ? 1 : 0,
        b.size,
      ]),
    },
    evals: run.evaluator.evals.map((e) => ({ epoch: e.epoch, step: e.step, split: e.split, valLoss: e.valLoss, valAccuracy: e.valAccuracy })),
    confusion: lastEval && 'confusion' in lastEval.metrics ? { split: lastEval.split, epoch: lastEval.epoch, matrix: lastEval.metrics.confusion } : null,
    misclassified: run.evaluator.misclassified,
    final: run.evaluator.final,
    exitReason: run.exitReason,
    controls: run.controls,
    counters: { ...run.engine.counters },
    p2p: run.p2p.view(),
  };
}

/** The coordinator's status, with "computing" only while a shard is out, and "done" at the end. */
export function peerStatus(run: RunView, p: DeepReadonly<PeerRecord>): string {
  // Even after it left, and after the end: the dashboard and the report keep saying who was shut out.
  if (p.quarantine) return 'quarantined';
  if (p.status !== 'ready') return p.status;
  if (run.state === 'done') return 'done';
  return run.busy(p.id) ? 'computing' : 'ready';
}

/** GET /api/status: the base and the last 500 steps, in one JSON document. */
export function statusSnapshot(run: RunView, connections: number, joinUrl = ''): unknown {
  return { ...dashboardBase(run, connections, joinUrl), history: run.history.slice(-500), breakdown: run.timeline.breakdown.slice(-500) };
}
