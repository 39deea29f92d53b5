import type { TrainingCoordinator } from '../training/coordinator';

/** What the dashboard polls: the fleet, the curves and the run's figures. No tokens. */
export function statusSnapshot(run: TrainingCoordinator, connections: number): unknown {
  return {
    state: run.state,
    step: run.step,
    totalSteps: run.totalSteps,
    epoch: run.sampler.epoch,
    samplesPerSec: run.samplesPerSec(),
    connections,
    config: run.setup.config,
    model: { params: run.setup.model.trainableParams, state: run.setup.model.stateParams, layers: run.setup.model.layers },
    peers: [...run.peers.values()].map((p) => ({
      id: p.id,
      nickname: p.nickname,
      kind: p.kind,
      backend: p.backend,
      status: p.status,
      speed: p.speed,
      samples: p.samples,
      steps: p.steps,
    })),
    history: run.history.slice(-500),
    evals: run.evaluator.evals.map((e) => ({ epoch: e.epoch, split: e.split, valLoss: e.valLoss, valAccuracy: e.valAccuracy })),
    final: run.evaluator.final,
    exitReason: run.exitReason,
  };
}
