import { GradientEncoder, WeightsReceiver, decodeTensor, specOf } from '../../shared/compress';
import { CloseStatus, isTabtrainError } from '../../shared/errors';
import {
  MessageCode,
  TaskFlag,
  TaskKind,
  decodeMessage,
  encodeEvalResult,
  encodeGrad,
  encodeHello,
  encodeReady,
  type HelloBody,
  type StatusBody,
  type TaskFrame,
  type WelcomeBody,
  unpackLocalPlan,
} from '../../shared/protocol';
import type { P2pCall, P2pReply } from '../p2p/bridge';
import { SessionTree } from '../p2p/sessionTree';
import { Trainer, now } from '../trainer/trainer';
import { loadDataset } from './datasetCache';
import { OPEN, frameBytes, type SocketFactory, type PeerSocket } from './socket';
import type { PeerTrace } from './trace';

/**
 * A peer's side of the protocol, the same in a tab and under Node: connect,
 * HELLO, build the model from WELCOME, download the dataset once, warm up,
 * READY, then compute every TASK in order and answer it. A lost connection is
 * retried with backoff under the same identity (reconnect token); a refusal
 * (bad token, wrong version) or the end of training stops it.
 */
export type PeerState = 'connecting' | 'downloading' | 'warming-up' | 'idle' | 'computing' | 'reconnecting' | 'refused' | 'done';

export interface PeerStats {
  state: PeerState;
  /** Why we are refused, or the last connection problem. */
  reason: string;
  steps: number;
  samples: number;
  evalSamples: number;
  computeMs: number;
  samplesPerSec: number;
  peerId: string;
  status: StatusBody | null;
  /** --mode local: LOCAL tasks computed, and how many of them started fresh inner optimizer state (1 per join when the state is kept between rounds). */
  localRounds: number;
  innerFresh: number;
}

export interface SessionOptions {
  url: string;
  hello: Omit<HelloBody, 'reconnectToken'>;
  socket: SocketFactory;
  /** Resolves a dataset URL from WELCOME against the page or the coordinator's origin. */
  resolveUrl: (path: string) => string;
  onChange?: (s: PeerStats) => void;
  onWeights?: (trainer: Trainer) => void;
  maxBackoffMs?: number;
  /** Pad batches to bucket sizes (where the backend compiles per shape: WebGL, WebGPU); asked when the trainer is built. */
  shapeBuckets?: boolean | (() => boolean);
  /**
   * Tabs: builds and warms up the trainer on each backend the tab has, keeps
   * the fastest (backend.ts). The choice and every timing then go to the
   * coordinator by rejoining once under the same identity (HELLO carries them).
   */
  measure?: (build: () => Promise<Trainer>, topology: Record<string, unknown>, expected: readonly number[]) => Promise<{ trainer: Trainer; speed: WarmupSpeed; backend: HelloBody['backend']; note: string }>;
  /** Hooks at named points (trace.ts): frames in and out, a gradient about to be sent. */
  trace?: PeerTrace;
  /** Tabs: the page's peer-to-peer side (client/p2p/bridge.ts), used when the run says --p2p. */
  p2p?: (call: P2pCall) => void;
}

type WarmupSpeed = { samplesPerSec: number; overheadMs: number; warmupMs: number };


const FINAL_CLOSES = new Set<number>([CloseStatus.BAD_TOKEN, CloseStatus.VERSION_MISMATCH, CloseStatus.TRAINING_DONE]);

export class PeerSession {
  readonly stats: PeerStats = { state: 'connecting', reason: '', steps: 0, samples: 0, evalSamples: 0, computeMs: 0, samplesPerSec: 0, peerId: '', status: null, localRounds: 0, innerFresh: 0 };
  private ws: PeerSocket | null = null;
  private trainer: Trainer | null = null;
  private runKey = '';
  private reconnectToken = '';
  private queue: TaskFrame[] = [];
  private working = false;
  private stopped = false;
  private backoffMs = 250;
  private warmupMs = 0;
  private overheadMs = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;
  /** The codec WELCOME asked for; int8 and top-k keep their error-feedback residual here, on the peer. */
  private gradEncoder: GradientEncoder | null = null;
  /** Our copy of the weights as TASKs bring them (full, or a delta to the copy; --weights-codec). */
  private readonly weights = new WeightsReceiver();
  /** What HELLO says; a measured backend choice updates it. */
  private hello: Omit<HelloBody, 'reconnectToken'>;
  /** --p2p: this tab's roles in the steps' reduction trees (sessionTree.ts). */
  private tree: SessionTree | null = null;

  constructor(private readonly o: SessionOptions) {
    this.hello = o.hello;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.ws?.close(CloseStatus.NORMAL, 'peer stopped');
    this.ws = null;
  }

  /** The page's peer-to-peer side answered (client/p2p/bridge.ts). */
  p2pReply(r: P2pReply): void {
    this.tree?.reply(r);
  }

  get currentTrainer(): Trainer | null {
    return this.trainer;
  }

  private set(state: PeerState, reason = this.stats.reason): void {
    this.stats.state = state;
    this.stats.reason = reason;
    this.o.onChange?.(this.stats);
  }

  private connect(): void {
    const ws = this.o.socket(this.o.url);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.send(ws, encodeHello({ ...this.hello, reconnectToken: this.reconnectToken }));
    ws.onmessage = (ev) => this.onFrame(ws, ev.data);
    ws.onerror = () => undefined; // onclose follows with the reason
    ws.onclose = (ev) => this.onClose(ws, ev.code, ev.reason);
  }

  private onClose(ws: PeerSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.queue = [];
    this.weights.reset(); // a new connection starts from full weights
    if (this.stopped) return;
    if (FINAL_CLOSES.has(code)) {
      this.set(code === CloseStatus.TRAINING_DONE ? 'done' : 'refused', reason || `closed (${code})`);
      return;
    }
    this.set('reconnecting', reason || `connection lost (${code})`);
    this.retry = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.o.maxBackoffMs ?? 10_000, this.backoffMs * 2);
  }

  private onFrame(ws: PeerSocket, data: unknown): void {
    const bytes = frameBytes(data);
    if (!bytes) return;
    this.o.trace?.received?.(bytes);
    const m = decodeMessage(bytes);
    switch (m.code) {
      case MessageCode.WELCOME:
        this.backoffMs = 250;
        void this.welcome(ws, m.body).catch((e: unknown) => {
          this.set('refused', `could not start: ${e instanceof Error ? e.message : String(e)}`);
          ws.close(CloseStatus.PEER_FAILED, 'peer could not start');
        });
        return;
      case MessageCode.TASK:
        this.tree?.task(m.task); // --p2p: a relay passes the weights on first
        this.enqueue(m.task);
        return;
      case MessageCode.TREE:
        this.tree?.role(m.body);
        return;
      case MessageCode.REVEAL:
        this.tree?.reveal(m.body);
        return;
      case MessageCode.STATUS:
        this.stats.status = m.body;
        this.o.onChange?.(this.stats);
        return;
      case MessageCode.ERROR:
        this.stats.reason = `${m.body.code}: ${m.body.message}`;
        this.o.onChange?.(this.stats);
        return;
      case MessageCode.DONE:
        // Tasks still queued belong to a run that is over: computing them would only flip us back to idle.
        this.queue = [];
        this.set('done', m.body.reason);
        return;
      case MessageCode.WEIGHTS:
        if (this.tree?.starWeights(m.weights)) return; // --p2p: the weights a task asked for (they did not come down the tree)
        if (this.trainer && !this.working) {
          this.trainer.setWeights(m.weights.weightsVersion, decodeTensor(m.weights.weights));
          this.o.onWeights?.(this.trainer);
        }
        return;
      default:
        return;
    }
  }

  private async welcome(ws: PeerSocket, w: WelcomeBody): Promise<void> {
    this.reconnectToken = w.reconnectToken;
    this.stats.peerId = w.peerId;
    const key = `${w.runId}/${w.dataset.hash}`;
    if (!this.trainer || this.runKey !== key) {
      this.set('downloading');
      const ds = await loadDataset(this.o.resolveUrl(w.dataset.url), w.dataset.hash);
      this.trainer?.dispose();
      this.trainer = null;
      this.set('warming-up');
      const buckets = this.o.shapeBuckets;
      const build = (): Promise<Trainer> => Trainer.create(w.model.topology, w.model.weights, ds, w.loss, { shapeBuckets: typeof buckets === 'function' ? buckets() : (buckets ?? false) });
      let speed: WarmupSpeed;
      let rejoin = false;
      if (this.o.measure) {
        const m = await this.o.measure(build, w.model.topology, w.shardSizes ?? []);
        this.trainer = m.trainer;
        speed = m.speed;
        rejoin = m.backend !== this.hello.backend || m.note !== this.hello.backendNote;
        this.hello = { ...this.hello, backend: m.backend, backendNote: m.note.slice(0, 500) };
      } else {
        this.trainer = await build();
        speed = await this.trainer.warmup(w.shardSizes ?? []);
      }
      this.runKey = key;
      this.stats.samplesPerSec = speed.samplesPerSec;
      this.warmupMs = speed.warmupMs;
      this.overheadMs = speed.overheadMs;
      if (rejoin && ws === this.ws && ws.readyState === OPEN) {
        // The coordinator took our word from HELLO: rejoin (same identity) with the measured backend and its timings.
        ws.close(CloseStatus.REJOIN_MEASURED, 'backend measured: rejoining');
        return;
      }
    }
    if (ws !== this.ws || ws.readyState !== OPEN) return;
    this.trainer.resetInner(); // --mode local: a joining peer starts fresh inner optimizer state
    const trainable = w.model.weights.filter((x) => x.trainable).map((x) => x.shape.reduce((a, b) => a * b, 1));
    this.gradEncoder = new GradientEncoder(specOf(w.gradCodec, w.gradCodecParam), w.model.trainableParams, trainable);
    this.send(ws, encodeReady({ samplesPerSec: Math.max(1e-3, this.stats.samplesPerSec), warmupMs: this.warmupMs, overheadMs: this.overheadMs }));
    const p2p = this.o.p2p;
    if (w.p2p && p2p) {
      const send = (f: Uint8Array): void => void (this.ws?.readyState === OPEN && this.send(this.ws, f));
      this.tree ??= new SessionTree(p2p, send, (g) => this.gradEncoder!.encode(g));
      this.tree.welcome(w.peerId, w.model.trainableParams, { spec: this.gradEncoder.spec, segments: trainable });
    }
    this.set('idle');
    this.pump();
  }

  private enqueue(t: TaskFrame): void {
    this.queue.push(t);
    this.pump();
  }

  private pump(): void {
    if (this.working || !this.trainer || this.stats.state === 'warming-up' || this.stats.state === 'downloading' || this.stats.state === 'done') return;
    const t = this.queue.shift();
    if (!t) return;
    // A newer training step makes an older one pointless (the coordinator has
    // moved on); its weights are still installed, since later tasks build on them.
    const training = (k: number): boolean => k === TaskKind.TRAIN || k === TaskKind.LOCAL;
    const obsolete = training(t.kind) && this.queue.some((q) => training(q.kind) && q.step > t.step);
    this.working = true;
    this.set('computing');
    this.run(t, obsolete)
      .catch((e: unknown) => {
        this.stats.reason = `task ${t.taskId} failed: ${e instanceof Error ? e.message : String(e)}`;
        // A typed error with an application close status (browsers allow 1000 and 3000-4999) closes with it:
        // WEIGHTS_BASE_MISSING reconnects, and the coordinator sends full weights.
        if (isTabtrainError(e) && e.closeStatus >= 4000) this.ws?.close(e.closeStatus, e.code);
        else this.ws?.close(CloseStatus.PEER_FAILED, 'peer failed a task');
      })
      .finally(() => {
        this.working = false;
        if (this.stats.state === 'computing') this.set('idle');
        this.pump();
      });
  }

  private async run(t: TaskFrame, obsolete: boolean): Promise<void> {
    const trainer = this.trainer!;
    // --p2p: weights that come down the tree (checked), or from the coordinator when they do not come in time.
    const fromTree = this.weights.version === t.weightsVersion ? null : this.tree?.weightsFor(t);
    const weights = this.weights.receive(fromTree ? ((await fromTree) ?? t) : t);
    if (weights) trainer.setWeights(t.weightsVersion, weights);
    if (obsolete) return;
    if (trainer.weightsVersion !== t.weightsVersion) return; // weights we never got: the deadline reassigns the shard
    const ws = this.ws;
    const t0 = now();
    if (t.kind === TaskKind.LOCAL) {
      const g = await trainer.localSteps(unpackLocalPlan(t.indices), t.flags & TaskFlag.AUGMENT ? t.seed : null);
      this.stats.localRounds++;
      if (trainer.innerFresh) {
        this.stats.innerFresh++;
        this.stats.reason = 'local steps: started fresh inner optimizer state';
      }
      const computeMs = now() - t0;
      this.account(computeMs, g.count, true);
      // --p2p: the tree adds weight changes x counts as it adds gradient sums.
      const viaTree = this.tree?.own(t, { count: g.count, lossSum: g.lossSum, grad: g.delta }, computeMs, this.stats.peerId) ?? false;
      !viaTree &&
        ws?.readyState === OPEN &&
        ws.send(encodeGrad({ taskId: t.taskId, step: t.step, weightsVersion: t.weightsVersion, count: g.count, computeMs, lossSum: g.lossSum, grad: this.gradEncoder!.encode(g.delta), state: g.stateSum }));
    } else if (t.kind === TaskKind.TRAIN) {
      const g = await trainer.gradient(t.indices, t.flags & TaskFlag.AUGMENT ? t.seed : null);
      const computeMs = now() - t0;
      this.account(computeMs, g.count, true);
      await this.o.trace?.gradientReady?.({ taskId: t.taskId, step: t.step, count: g.count, computeMs });
      const viaTree = this.tree?.own(t, g, computeMs, this.stats.peerId) ?? false;
      !viaTree &&
        ws?.readyState === OPEN &&
        this.send(ws, encodeGrad({ taskId: t.taskId, step: t.step, weightsVersion: t.weightsVersion, count: g.count, computeMs, lossSum: g.lossSum, grad: this.gradEncoder!.encode(g.grad), state: g.stateSum }));
    } else {
      const e = await trainer.evaluate(t.indices);
      const computeMs = now() - t0;
      this.account(computeMs, e.count, false);
      ws?.readyState === OPEN && this.send(ws, encodeEvalResult({ taskId: t.taskId, evalId: t.step, computeMs, ...e }));
    }
    this.o.onWeights?.(trainer);
  }

  private send(ws: PeerSocket, frame: Uint8Array): void {
    this.o.trace?.sent?.(frame);
    ws.send(frame);
  }

  private account(ms: number, count: number, train: boolean): void {
    this.stats.computeMs += ms;
    if (train) {
      this.stats.steps++;
      this.stats.samples += count;
      // Exponential moving average of our own speed, for the page.
      const s = (1000 * count) / Math.max(1e-3, ms);
      this.stats.samplesPerSec = this.stats.samplesPerSec > 0 ? 0.8 * this.stats.samplesPerSec + 0.2 * s : s;
    } else {
      this.stats.evalSamples += count;
    }
  }
}
