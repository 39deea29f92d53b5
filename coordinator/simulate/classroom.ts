import { Trainer } from '../../client/trainer/trainer';
import { InnerOptimizerHolder } from '../../client/trainer/localSteps';
import { GradientEncoder, SUPPORTED_CODECS, WeightsReceiver, parseCompress } from '../../shared/compress';
import { isTabtrainError } from '../../shared/errors';
import { MessageCode, TaskKind, decodeMessage, encodeEvalResult, encodeGrad, unpackLocalPlan } from '../../shared/protocol';
import { TrainingCoordinator, type Io } from '../run/coordinator';
import type { PreparedRun } from '../setup';
import { speedFactor, type Assumptions } from './assumptions';

/**
 * One simulated classroom run in virtual time: the real coordinator (ledger,
 * policy, optimizer, evaluation) and the real trainer core computing every
 * gradient and evaluation, so the loss and accuracy are real; only time comes
 * from the model in assumptions.ts. Every frame between the coordinator and a
 * laptop queues for the one shared link; a laptop computes its tasks in order,
 * each taking overhead + samples x its per-sample cost.
 */
export interface ClassroomResult {
  laptops: number;
  /** Virtual seconds until validation accuracy first reached the target; null if it did not. */
  timeToTarget: number | null;
  /** Global batches applied by then (or at the end). */
  steps: number;
  bytes: number;
  /** Bytes through the coordinator per training sample applied. */
  bytesPerSample: number;
  /** Median virtual ms per update (history). */
  stepMs: number;
  bestValAccuracy: number;
  seconds: number;
  /** The ledger's counters: shards reassigned (late, backups) and copies dropped (duplicates, late). */
  ledger: { reassigned: number; duplicatesDropped: number; lateDropped: number };
  /** [virtual seconds, validation accuracy] at the end of each validation pass. */
  curve: [number, number][];
}

interface Laptop {
  id: string;
  name: string;
  token: string;
  factor: number;
  busyUntil: number;
  awake: boolean;
  weights: WeightsReceiver;
  inner: InnerOptimizerHolder;
  /** The run's --compress codec for what goes up (a joining laptop starts with an empty error-feedback residual, as a tab does). */
  encoder: GradientEncoder;
}

interface Ev {
  at: number;
  seq: number;
  run: () => Promise<void> | void;
  /** A training task on its way to a laptop (the one-thread rule drops a queued one a newer task made pointless). */
  train?: { laptop: Laptop; step: number };
}

export async function simulateClassroom(p: PreparedRun, trainer: Trainer, n: number, a: Assumptions, target: number, seed = 1, progress?: (line: string) => void): Promise<ClassroomResult> {
  let now = 0;
  let seq = 0;
  let wake: number | null = null;
  let finished = false;
  let linkFree = 0;
  let cpuFree = 0;
  let bytes = 0;
  const events: Ev[] = [];
  const push = (at: number, run: Ev['run'], train?: Ev['train']): void => {
    const e = { at, seq: seq++, run, train };
    let i = events.length;
    while (i > 0 && (events[i - 1]!.at > at || (events[i - 1]!.at === at && events[i - 1]!.seq > e.seq))) i--;
    events.splice(i, 0, e);
  };
  /** A message of `size` bytes handed to the link at `ready`: when it arrives. */
  const transfer = (size: number, ready: number): number => {
    bytes += size;
    const start = Math.max(ready, linkFree);
    linkFree = start + (size * 8) / (a.bandwidthMbps * 1000);
    return linkFree + a.latencyMs;
  };
  const laptops = new Map<string, Laptop>();
  const io: Io = {
    now: () => now,
    send: (peerId, frame) => deliverToLaptop(peerId, frame),
    wakeAt: (at) => (wake = at),
    log: () => undefined,
    finished: () => (finished = true),
  };
  const run = new TrainingCoordinator(p.setup, io);
  const compress = parseCompress(p.setup.config.compress);
  const segments = p.setup.model.specs.filter((w) => w.trainable).map((w) => w.shape.reduce((x, y) => x * y, 1));
  const newEncoder = (): GradientEncoder => new GradientEncoder(compress, p.setup.model.trainableParams, segments);
  const trainSamples = p.setup.dataset.meta.splits.train;

  function deliverToLaptop(peerId: string, frame: Uint8Array): void {
    const l = laptops.get(peerId);
    if (!l) return;
    const arrives = transfer(frame.byteLength, now);
    const m = decodeMessage(frame);
    const train = m.code === MessageCode.TASK && m.task.kind !== TaskKind.EVAL ? { laptop: l, step: m.task.step } : undefined;
    push(arrives, () => compute(l, frame), train);
  }

  async function compute(l: Laptop, frame: Uint8Array): Promise<void> {
    if (!l.awake) return;
    const m = decodeMessage(frame);
    if (m.code !== MessageCode.TASK) return;
    const t = m.task;
    l.weights.receive(t);
    const w = l.weights.weights;
    if (!w || l.weights.version !== t.weightsVersion) return;
    // One thread (sharedCpu, node peers on loopback): a training task whose turn comes when a newer one for the same
    // laptop is already sent (on loopback: in its socket buffer) is dropped, its weights kept, as a peer's session
    // does (client/peer/session.ts): a stale backup costs no CPU.
    if (a.sharedCpu && t.kind !== TaskKind.EVAL && events.some((e) => e.train?.laptop === l && e.train.step > t.step)) return;
    trainer.setWeights(t.weightsVersion, w);
    const start = Math.max(now, l.busyUntil);
    let reply: Uint8Array;
    let ms: number;
    if (t.kind === TaskKind.EVAL) {
      const e = await trainer.evaluate(t.indices);
      ms = a.overheadMs + e.count * a.msPerSample * a.evalFraction * l.factor;
      reply = encodeEvalResult({ taskId: t.taskId, evalId: t.step, computeMs: ms, ...e });
    } else if (t.kind === TaskKind.LOCAL) {
      const plan = unpackLocalPlan(t.indices);
      const g = await trainer.localSteps(plan, null, l.inner);
      // The task's fixed cost once (weights in, change out); an inner step adds only its own small fixed part.
      ms = a.overheadMs + (plan.steps.length - 1) * a.innerStepOverheadMs + g.count * a.msPerSample * l.factor;
      reply = encodeGrad({ taskId: t.taskId, step: t.step, weightsVersion: t.weightsVersion, count: g.count, computeMs: ms, lossSum: g.lossSum, grad: l.encoder.encode(g.delta), state: g.stateSum });
    } else {
      const g = await trainer.gradient(t.indices);
      ms = a.overheadMs + g.count * a.msPerSample * l.factor;
      reply = encodeGrad({ taskId: t.taskId, step: t.step, weightsVersion: t.weightsVersion, count: g.count, computeMs: ms, lossSum: g.lossSum, grad: l.encoder.encode(g.grad), state: g.stateSum });
    }
    if (a.sharedCpu) {
      // One CPU (one JS thread) for every laptop: a whole task, its fixed part included, waits for the one before it.
      // (Letting the fixed part overlap predicted 0.50-0.60 of the measured step for 2-3 node peers in one process.)
      const cpuStart = Math.max(start, cpuFree);
      l.busyUntil = cpuStart + ms;
      cpuFree = l.busyUntil;
    } else l.busyUntil = start + ms;
    const arrives = transfer(reply.byteLength, l.busyUntil);
    push(arrives, () => {
      if (!l.awake) return;
      const r = decodeMessage(reply);
      try {
        if (r.code === MessageCode.GRAD) run.onGrad(l.id, r.grad);
        else if (r.code === MessageCode.EVAL_RESULT) run.onEval(l.id, r.result);
      } catch (e) {
        if (!isTabtrainError(e)) throw e;
      }
    });
  }

  const join = (l: Laptop): void => {
    const rec = run.join({ token: '', kind: 'node', backend: 'webgl', backendNote: '', renderer: '', nickname: l.name, reconnectToken: l.token, codecs: SUPPORTED_CODECS });
    l.id = rec.id;
    l.token = rec.reconnectToken;
    l.awake = true;
    l.busyUntil = now;
    l.weights.reset();
    l.inner.dispose();
    l.encoder = newEncoder();
    laptops.set(l.id, l);
    run.ready(l.id, 1000 / (a.msPerSample * l.factor), a.overheadMs);
  };

  let rand = seed >>> 0 || 1;
  const random = (): number => {
    rand = (Math.imul(rand, 1664525) + 1013904223) >>> 0;
    return rand / 2 ** 32;
  };
  const sleepLater = (l: Laptop): void => {
    if (a.churnPerHour <= 0) return;
    const gap = (-Math.log(1 - random()) * 3_600_000) / a.churnPerHour;
    push(now + gap, () => {
      if (finished) return;
      l.awake = false;
      l.weights.reset();
      run.leave(l.id, true);
      push(now + a.sleepSeconds * 1000, () => {
        if (finished) return;
        join(l);
        sleepLater(l);
      });
    });
  };

  for (let i = 0; i < n; i++) {
    const l: Laptop = { id: '', name: `laptop-${i + 1}`, token: '', factor: speedFactor(i, n, a.spread), busyUntil: 0, awake: true, weights: new WeightsReceiver(), inner: new InnerOptimizerHolder(), encoder: newEncoder() };
    join(l);
    sleepLater(l);
  }
  if (!run.trainStartedAt && run.readyPeers > 0) run.startNow();

  let timeToTarget: number | null = null;
  let seen = 0;
  const curve: [number, number][] = [];
  while (!finished) {
    const next = events[0];
    // One thread (sharedCpu): the coordinator's timer cannot fire while the thread computes, and the replies that
    // work produced are handled first, so a deadline that passed meanwhile issues no backup of a shard already in.
    // (Firing it mid-computation issued a backup every round whose stale copy then held up the next round: 1.40x
    // the measured 3-peer local:4 round.)
    // One thread (sharedCpu): nothing is handled while it computes; then what arrived meanwhile, in order, and only then
    // a timer that came due (a deadline passed during the work issues no backup of a shard whose result was waiting).
    // (Handling them mid-computation issued a backup every round whose stale copy then held up the next: 1.40x and
    // 1.68x the measured 3- and 4-peer local:4 rounds.)
    const free = a.sharedCpu ? cpuFree : 0;
    const timerFirst = wake !== null && (!next || (a.sharedCpu ? next.at > Math.max(wake, free) : wake <= next.at));
    if (wake !== null && timerFirst) {
      now = Math.max(now, wake, free);
      wake = null;
      run.tick();
    } else if (next) {
      events.shift();
      now = Math.max(now, next.at, free);
      await next.run();
    } else break;
    const evals = run.evaluator.evals;
    for (; seen < evals.length; seen++) {
      const e = evals[seen]!;
      if (e.split === 'val' && e.valAccuracy !== null) curve.push([Math.round(now) / 1000, e.valAccuracy]);
      if (e.split === 'val') progress?.(`  ${n} laptops, after global batch ${e.step}: val acc ${e.valAccuracy?.toFixed(3) ?? '-'} at ${(now / 1000).toFixed(1)} s simulated, ${(bytes / 1e6).toFixed(1)} MB so far`);
      if (e.split === 'val' && e.valAccuracy !== null && e.valAccuracy >= target && timeToTarget === null) timeToTarget = now / 1000;
    }
    if (timeToTarget !== null) break;
  }
  for (const l of laptops.values()) l.inner.dispose();
  const samples = run.history.reduce((s, h) => s + h.samples, 0);
  const ms = run.history.map((h) => h.ms + h.updateMs).sort((x, y) => x - y);
  const best = run.evaluator.evals.filter((e) => e.split === 'val').reduce((m, e) => Math.max(m, e.valAccuracy ?? 0), 0);
  void trainSamples;
  return {
    laptops: n,
    timeToTarget,
    steps: run.step,
    bytes,
    bytesPerSample: samples > 0 ? bytes / samples : 0,
    stepMs: ms.length ? ms[Math.floor(ms.length / 2)]! : 0,
    bestValAccuracy: best,
    seconds: now / 1000,
    ledger: { ...run.ledger.counters },
    curve,
  };
}
