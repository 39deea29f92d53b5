import '../../coordinator/tfjsNode';
import { Trainer } from '../../client/trainer/trainer';
import { prepareRun, type PreparedRun } from '../../coordinator/setup';
import { TrainingCoordinator, type Io } from '../../coordinator/run/coordinator';
import type { ExitReason } from '../../coordinator/run/types';
import { parseConfig } from '../../shared/config/parse';
import type { ConfigInput } from '../../shared/config/schema';
import { WeightsReceiver, encodeFp32 } from '../../shared/compress';
import { isTabtrainError } from '../../shared/errors';
import { MessageCode, TaskKind, decodeMessage, encodeEvalResult, encodeGrad, unpackLocalPlan, type TaskFrame } from '../../shared/protocol';
import { InnerOptimizerHolder } from '../../client/trainer/localSteps';

/**
 * The socket-free coordinator with a fake clock and simulated node peers:
 * every task is computed by the node peers' own trainer core (one Trainer,
 * each peer with its own copy of the weights it was sent) and answered
 * through the real wire encoding, in a deterministic order a test controls.
 * A fault is a hook that sees each answer before it is delivered and may
 * drop, hold, duplicate it, or make peers leave, come back or join.
 *
 * Every peer claims 1000 samples/s and takes exactly 1 ms per sample, so
 * the speed models never drift and shards split the same way in every run:
 * where a fault leaves the shards' composition unchanged, the weights must
 * equal the fault-free run's bit for bit.
 */
export interface SimPeer {
  id: string;
  name: string;
  token: string;
  connected: boolean;
  /** Its copy of the weights, as the TASKs it got built it (full weights or deltas, as a tab's session does). */
  weights: WeightsReceiver;
  tasks: number;
  /** Of which training tasks (TRAIN or LOCAL). */
  trainTasks: number;
  /** Deltas it refused for lack of their base, each followed by a reconnect (as a tab does). */
  resyncs: number;
  /** --mode local: its own inner optimizer state (fresh on every join, as a tab's). */
  inner: InnerOptimizerHolder;
}

/** The samples a task covers (a LOCAL task's index block holds its plan). */
export function taskSamples(t: TaskFrame): number {
  return t.kind === TaskKind.LOCAL ? unpackLocalPlan(t.indices).steps.reduce((n, s) => n + s.length, 0) : t.indices.length;
}

export interface Answer {
  peer: SimPeer;
  task: TaskFrame;
  /** Delivers the answer now (again, for a duplicate). */
  deliver(): void;
}

/** Return true when the hook took care of the answer (dropped, held, delivered itself). */
export type Hook = (a: Answer, sim: Sim) => boolean | void;

const prepared = new Map<string, Promise<PreparedRun>>();
const trainers = new Map<string, Promise<Trainer>>();

export class Sim {
  now = 0;
  wake: number | null = null;
  finished: ExitReason | null = null;
  readonly logs: string[] = [];
  readonly peers: SimPeer[] = [];
  readonly held: Answer[] = [];
  private readonly outbox: { peerId: string; frame: Uint8Array }[] = [];
  hook: Hook = () => false;
  /** Called after each timer tick the simulation fires (a test acts between ticks, e.g. delivers a held answer). */
  afterTick: (sim: Sim) => void = () => undefined;
  readonly run: TrainingCoordinator;

  private constructor(
    readonly p: PreparedRun,
    private readonly trainer: Trainer,
  ) {
    const io: Io = {
      now: () => this.now,
      send: (peerId, frame) => this.outbox.push({ peerId, frame }),
      wakeAt: (at) => (this.wake = at),
      log: (l) => this.logs.push(l),
      finished: (r) => (this.finished = r),
    };
    this.run = new TrainingCoordinator(p.setup, io);
  }

  static async create(config: ConfigInput): Promise<Sim> {
    const key = JSON.stringify(config);
    if (!prepared.has(key)) prepared.set(key, prepareRun(parseConfig({ host: '127.0.0.1', peers: 0, ...config })));
    const p = await prepared.get(key)!;
    const s = p.setup;
    if (!trainers.has(key)) trainers.set(key, Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss));
    return new Sim(p, await trainers.get(key)!);
  }

  /** A peer joins (with a reconnect token: comes back as itself) and reports ready. */
  join(name: string, reconnectToken = ''): SimPeer {
    const rec = this.run.join({ token: '', kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: name, reconnectToken, codecs: [1] });
    let peer = this.peers.find((x) => x.id === rec.id);
    if (!peer) {
      peer = { id: rec.id, name, token: rec.reconnectToken, connected: true, weights: new WeightsReceiver(), tasks: 0, trainTasks: 0, resyncs: 0, inner: new InnerOptimizerHolder() };
      this.peers.push(peer);
    }
    peer.connected = true;
    peer.inner.dispose();
    this.run.ready(rec.id, 1000, 0);
    return peer;
  }

  leave(peer: SimPeer, reconnecting: boolean): void {
    peer.connected = false;
    peer.weights.reset();
    this.run.leave(peer.id, reconnecting);
  }

  /**
   * A hand-made GRAD for `task` from `peer` (zeros unless `values` says
   * otherwise), through the wire encoding. When the coordinator refuses it the
   * peer is closed as the server closes it (it may reconnect), and the error
   * code is returned.
   */
  sendGrad(peer: SimPeer, task: TaskFrame, patch: { step?: number; weightsVersion?: number; count?: number; values?: number } = {}): string | null {
    const n = this.p.setup.model.trainableParams;
    const bytes = encodeGrad({
      taskId: task.taskId,
      step: patch.step ?? task.step,
      weightsVersion: patch.weightsVersion ?? task.weightsVersion,
      count: patch.count ?? taskSamples(task),
      computeMs: taskSamples(task),
      lossSum: 1,
      grad: encodeFp32(new Float32Array(n).fill(patch.values ?? 0)),
      state: new Float32Array(this.p.setup.model.stateParams),
    });
    const r = decodeMessage(bytes);
    if (r.code !== MessageCode.GRAD) throw new Error('not a GRAD');
    try {
      this.run.onGrad(peer.id, r.grad);
      return null;
    } catch (e) {
      if (!isTabtrainError(e)) throw e;
      this.leave(peer, true);
      return e.code;
    }
  }

  peer(name: string): SimPeer {
    return this.peers.find((p) => p.name === name)!;
  }

  /**
   * Delivers frames and fires timers until the run finishes, or nothing is
   * left to do (no frame, no timer): then returns, so the test can act.
   */
  async drive(): Promise<void> {
    for (let guard = 0; guard < 100_000; guard++) {
      if (this.finished !== null) return;
      const item = this.outbox.shift();
      if (item) {
        await this.process(item.peerId, item.frame);
        continue;
      }
      if (this.wake !== null) {
        this.now = Math.max(this.now, this.wake);
        this.wake = null;
        this.run.tick();
        this.afterTick(this);
        continue;
      }
      return;
    }
    throw new Error('simulation did not settle');
  }

  private async process(peerId: string, frame: Uint8Array): Promise<void> {
    const peer = this.peers.find((p) => p.id === peerId);
    if (!peer || !peer.connected) return; // a closed socket: the frame is lost
    const m = decodeMessage(frame);
    if (m.code !== MessageCode.TASK) return;
    const t = m.task;
    try {
      peer.weights.receive(t);
    } catch (e) {
      if (!isTabtrainError(e) || e.code !== 'WEIGHTS_BASE_MISSING') throw e;
      // As a tab's session: close, reconnect under the same identity, get full weights.
      peer.resyncs++;
      this.leave(peer, true);
      this.join(peer.name, peer.token);
      return;
    }
    const weights = peer.weights.weights;
    if (!weights || peer.weights.version !== t.weightsVersion) return; // weights it never got: the deadline recovers
    peer.tasks++;
    if (t.kind !== TaskKind.EVAL) peer.trainTasks++;
    this.now += 1;
    this.trainer.setWeights(t.weightsVersion, weights);
    let deliver: () => void;
    if (t.kind === TaskKind.LOCAL) {
      const g = await this.trainer.localSteps(unpackLocalPlan(t.indices), null, peer.inner);
      const bytes = encodeGrad({ taskId: t.taskId, step: t.step, weightsVersion: t.weightsVersion, count: g.count, computeMs: g.count, lossSum: g.lossSum, grad: encodeFp32(g.delta), state: g.stateSum });
      deliver = () => {
        const r = decodeMessage(bytes);
        if (r.code === MessageCode.GRAD && peer.connected) this.run.onGrad(peer.id, r.grad);
      };
    } else if (t.kind === TaskKind.TRAIN) {
      const g = await this.trainer.gradient(t.indices);
      const bytes = encodeGrad({ taskId: t.taskId, step: t.step, weightsVersion: t.weightsVersion, count: g.count, computeMs: g.count, lossSum: g.lossSum, grad: encodeFp32(g.grad), state: g.stateSum });
      deliver = () => {
        const r = decodeMessage(bytes);
        if (r.code === MessageCode.GRAD && peer.connected) this.run.onGrad(peer.id, r.grad);
      };
    } else {
      const e = await this.trainer.evaluate(t.indices);
      const bytes = encodeEvalResult({ taskId: t.taskId, evalId: t.step, computeMs: e.count, ...e });
      deliver = () => {
        const r = decodeMessage(bytes);
        if (r.code === MessageCode.EVAL_RESULT && peer.connected) this.run.onEval(peer.id, r.result);
      };
    }
    const answer: Answer = { peer, task: t, deliver };
    if (!this.hook(answer, this)) deliver();
  }
}
