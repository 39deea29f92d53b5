import { GradientEncoder, SUPPORTED_CODECS, specOf } from '../../shared/compress';
import { CloseStatus } from '../../shared/errors';
import {
  GRAD_TASK_BYTES,
  LOCAL_PLAN_FIXED_WORDS,
  MessageCode,
  TASK_HEADER_BYTES,
  TaskKind,
  WEIGHTS_HEADER_BYTES,
  decodeMessage,
  encodeEvalResult,
  encodeGrad,
  encodeHello,
  encodeReady,
  messageName,
  readTaskHeader,
  writeGradTask,
  type TaskHeader,
  type WelcomeBody,
} from '../../shared/protocol';
import { LeanSocket, MaskedTail } from './leanSocket';
import { joinParts } from '../../client/node/nodePeer';
import type { WireMeter } from './wireMeter';

/**
 * A replay peer: speaks the whole protocol like a tab, but answers every
 * train TASK with one gradient computed in advance (small pseudo-random
 * values, encoded once in the codec WELCOME asks for) instead of computing
 * one, every LOCAL task (--mode local) with the same values as its weight
 * change for the plan's sample count, and every eval TASK with an
 * all-correct result. Hundreds of them fit
 * in one process, so the coordinator's own limits (steps/s, latency, CPU,
 * memory) can be measured: `tabtrain bench` item 5.
 *
 * A replay peer must cost next to nothing per step, or the bench measures
 * the peers instead of the coordinator. So it reads TASK frames through
 * LeanSocket (leanSocket.ts): it keeps the TASK header (TASK_HEADER_BYTES,
 * read with shared/protocol's readTaskHeader, which checks the frame's length
 * against it, plus a LOCAL plan's first word, H) and drops the rest unread. The GRAD frame is built and
 * masked once per model and codec and shared by every replay peer of the
 * process; each send writes only its first GRAD_TASK_BYTES (code, codec,
 * task, step, version, count; writeGradTask) and then the shared tail, uncopied.
 */
export interface ReplayPeerOptions {
  joinUrl: string;
  nickname?: string;
  /** Pretend each shard takes this long (ms) before answering (default 0). */
  computeMs?: number;
  /** Speed reported in READY (samples/s), so the coordinator shards evenly. */
  samplesPerSec?: number;
  meter?: WireMeter;
}

export interface ReplayPeer {
  readonly stats: { tasks: number; evals: number; state: 'connecting' | 'ready' | 'done' | 'closed'; peerId: string };
  stop(): void;
}

const frames = new Map<string, MaskedTail>();

/** A gradient of small values (about 1e-3) from a fixed seed: the same in every process. */
export function replayGradient(n: number): Float32Array {
  const g = new Float32Array(n);
  let s = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    g[i] = ((s >>> 0) / 0xffffffff - 0.5) * 2e-3;
  }
  return g;
}

function gradFrame(w: WelcomeBody): MaskedTail {
  const key = `${w.model.trainableParams}/${w.model.stateParams}/${w.gradCodec}/${w.gradCodecParam ?? ''}`;
  let f = frames.get(key);
  if (!f) {
    const n = w.model.trainableParams;
    const segments = w.model.weights.filter((x) => x.trainable).map((x) => x.shape.reduce((a, b) => a * b, 1));
    const enc = new GradientEncoder(specOf(w.gradCodec, w.gradCodecParam), n, segments);
    const grad = enc.encode(replayGradient(n));
    f = new MaskedTail(encodeGrad({ taskId: 0, step: 0, weightsVersion: 0, count: 0, computeMs: 0, lossSum: 0, grad, state: new Float32Array(w.model.stateParams) }), GRAD_TASK_BYTES);
    frames.set(key, f);
  }
  return f;
}

/** Classes the coordinator expects in an evaluation: the output layer's width for categorical models. */
function classesOf(w: WelcomeBody): number {
  if (w.loss === 'binary_crossentropy') return 2;
  if (w.loss !== 'categorical_crossentropy') return 0;
  const last = w.model.weights.filter((x) => x.trainable).at(-1);
  return last?.shape.at(-1) ?? 0;
}

/** The meter's kinds, as wireMeter.ts names them. */
function meterKind(code: number, kind: number): string {
  return code === MessageCode.TASK ? (kind === TaskKind.EVAL ? 'TASK/eval' : kind === TaskKind.LOCAL ? 'TASK/local' : 'TASK/train') : messageName(code);
}

function tally(side: WireMeter['sent'], kind: string, bytes: number): void {
  const c = (side[kind] ??= { frames: 0, bytes: 0 });
  c.frames++;
  c.bytes += bytes;
}

/** A LOCAL task's index block starts with H (localPlan.ts); the replay peer reads only that word of it. */
const LOCAL_H_BYTES = 4;

/** Samples in a LOCAL task: its index block is the plan's fixed words, H step sizes, then the samples. */
function localSamples(head: Uint8Array, indexCount: number): number {
  const h = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(TASK_HEADER_BYTES, true);
  return indexCount - LOCAL_PLAN_FIXED_WORDS - h;
}

export function startReplayPeer(o: ReplayPeerOptions): ReplayPeer {
  const { token, wsUrl } = joinParts(o.joinUrl);
  const stats: ReplayPeer['stats'] = { tasks: 0, evals: 0, state: 'connecting', peerId: '' };
  let frame: MaskedTail | null = null;
  let classes = 0;
  let stopped = false;
  const gradHead = new Uint8Array(GRAD_TASK_BYTES);
  const send = (m: Uint8Array): void => {
    if (o.meter) tally(o.meter.sent, meterKind(m[0]!, 0), m.byteLength);
    ws.send(m);
  };
  const answer = (t: TaskHeader, samples: number): void => {
    if (stopped || !ws.isOpen) return;
    if ((t.kind === TaskKind.TRAIN || t.kind === TaskKind.LOCAL) && frame) {
      writeGradTask(gradHead, { ...t, count: samples });
      if (o.meter) tally(o.meter.sent, 'GRAD', frame.message.byteLength);
      ws.sendWithHead(frame, gradHead);
      stats.tasks++;
    } else if (t.kind === TaskKind.EVAL) {
      // Every sample counted as class 0, predicted right: a well-formed result.
      const confusion = new Uint32Array(classes * classes);
      if (classes > 0) confusion[0] = t.count;
      send(encodeEvalResult({ taskId: t.taskId, evalId: t.step, count: t.count, lossSum: 0, absErrSum: 0, sqErrSum: 0, apeSum: 0, computeMs: 0, classes, confusion, misclassified: new Uint32Array(0) }));
      stats.evals++;
    }
  };
  const onMessage = (head: Uint8Array, length: number): void => {
    const code = head[0];
    if (code === MessageCode.TASK) {
      const t = readTaskHeader(head, length);
      if (o.meter) tally(o.meter.received, meterKind(code, t.kind), length);
      const samples = t.kind === TaskKind.LOCAL ? localSamples(head, t.count) : t.count;
      const delay = o.computeMs ?? 0;
      if (delay > 0) setTimeout(() => answer(t, samples), delay);
      else answer(t, samples);
      return;
    }
    if (o.meter && code !== undefined) tally(o.meter.received, meterKind(code, 0), length);
    // Anything but a TASK or WEIGHTS frame was kept whole: decode it as a tab would.
    const m = code === MessageCode.WEIGHTS ? null : decodeMessage(head);
    if (m?.code === MessageCode.WELCOME) {
      stats.peerId = m.body.peerId;
      frame = gradFrame(m.body);
      gradHead.set(frame.message.subarray(0, GRAD_TASK_BYTES));
      classes = classesOf(m.body);
      send(encodeReady({ samplesPerSec: o.samplesPerSec ?? 100_000, warmupMs: 0, overheadMs: 0 }));
      stats.state = 'ready';
    } else if (m?.code === MessageCode.DONE) stats.state = 'done';
  };
  const ws = new LeanSocket(wsUrl, {
    // TASK (its header, and a LOCAL plan's H) and WEIGHTS (the header; the weights are what a replay peer never needs); the rest whole.
    keep: (code) => (code === MessageCode.TASK ? TASK_HEADER_BYTES + LOCAL_H_BYTES : code === MessageCode.WEIGHTS ? WEIGHTS_HEADER_BYTES : Infinity),
    open: () => send(encodeHello({ token, kind: 'node', backend: 'replay', backendNote: 'replay peer: precomputed gradient', renderer: '', nickname: o.nickname ?? '', reconnectToken: '', codecs: SUPPORTED_CODECS })),
    message: (head, length) => {
      try {
        onMessage(head, length);
      } catch (e) {
        ws.close(CloseStatus.PROTOCOL_ERROR, e instanceof Error ? e.message : String(e));
      }
    },
    close: () => {
      if (stats.state !== 'done') stats.state = 'closed';
    },
  });
  return {
    stats,
    stop: () => {
      stopped = true;
      ws.close(CloseStatus.NORMAL, 'replay peer stopped');
    },
  };
}
