import { WebSocket } from 'ws';
import { GradientEncoder, SUPPORTED_CODECS, specOf } from '../../shared/compress';
import { CloseStatus } from '../../shared/errors';
import { MessageCode, TaskKind, decodeMessage, encodeEvalResult, encodeGrad, encodeHello, encodeReady, type WelcomeBody } from '../../shared/protocol';
import { joinParts } from './nodePeer';
import { meterSocket, type WireMeter } from './wireMeter';

/**
 * A replay peer: speaks the whole protocol like a tab, but answers every
 * train TASK with one gradient computed in advance (small pseudo-random
 * values, encoded once in the codec WELCOME asks for) instead of computing
 * one, and every eval TASK with an all-correct result. Hundreds of them fit
 * in one process, so the coordinator's own limits (steps/s, latency, CPU,
 * memory) can be measured: `tabtrain bench` item 5.
 *
 * The GRAD frame is built once per model and codec and shared by every
 * replay peer of the process; only its 16 header bytes (task, step, version,
 * count) are patched before each send. The ws client masks a copy, so the
 * shared frame is never sent while being patched.
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

const frames = new Map<string, Uint8Array>();

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

function gradFrame(w: WelcomeBody): Uint8Array {
  const key = `${w.model.trainableParams}/${w.model.stateParams}/${w.gradCodec}/${w.gradCodecParam ?? ''}`;
  let f = frames.get(key);
  if (!f) {
    const n = w.model.trainableParams;
    const segments = w.model.weights.filter((x) => x.trainable).map((x) => x.shape.reduce((a, b) => a * b, 1));
    const enc = new GradientEncoder(specOf(w.gradCodec, w.gradCodecParam), n, segments);
    const grad = enc.encode(replayGradient(n));
    f = encodeGrad({ taskId: 0, step: 0, weightsVersion: 0, count: 0, computeMs: 0, lossSum: 0, grad, state: new Float32Array(w.model.stateParams) });
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

export function startReplayPeer(o: ReplayPeerOptions): ReplayPeer {
  const { token, wsUrl } = joinParts(o.joinUrl);
  const stats: ReplayPeer['stats'] = { tasks: 0, evals: 0, state: 'connecting', peerId: '' };
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  if (o.meter) meterSocket(ws, o.meter);
  let frame: Uint8Array | null = null;
  let classes = 0;
  let view: DataView | null = null;
  let timers = 0;
  let stopped = false;
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => {
    ws.send(
      encodeHello({ token, kind: 'node', backend: 'replay', backendNote: 'replay peer: precomputed gradient', renderer: '', nickname: o.nickname ?? '', reconnectToken: '', codecs: SUPPORTED_CODECS }),
    );
  });
  ws.on('message', (data: Buffer) => {
    const m = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    switch (m.code) {
      case MessageCode.WELCOME:
        stats.peerId = m.body.peerId;
        frame = gradFrame(m.body);
        classes = classesOf(m.body);
        view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
        ws.send(encodeReady({ samplesPerSec: o.samplesPerSec ?? 100_000, warmupMs: 0, overheadMs: 0 }));
        stats.state = 'ready';
        return;
      case MessageCode.TASK: {
        const t = m.task;
        const answer = (): void => {
          if (stopped || ws.readyState !== ws.OPEN) return;
          if (t.kind === TaskKind.TRAIN && frame && view) {
            view.setUint32(4, t.taskId, true);
            view.setUint32(8, t.step, true);
            view.setUint32(12, t.weightsVersion, true);
            view.setUint32(16, t.indices.length, true);
            ws.send(frame);
            stats.tasks++;
          } else if (t.kind === TaskKind.EVAL) {
            // Every sample counted as class 0, predicted right: a well-formed result.
            const confusion = new Uint32Array(classes * classes);
            if (classes > 0) confusion[0] = t.indices.length;
            ws.send(
              encodeEvalResult({
                taskId: t.taskId,
                evalId: t.step,
                count: t.indices.length,
                lossSum: 0,
                absErrSum: 0,
                sqErrSum: 0,
                apeSum: 0,
                computeMs: 0,
                classes,
                confusion,
                misclassified: new Uint32Array(0),
              }),
            );
            stats.evals++;
          }
        };
        const delay = o.computeMs ?? 0;
        if (delay > 0) {
          timers++;
          setTimeout(() => {
            timers--;
            answer();
          }, delay);
        } else answer();
        return;
      }
      case MessageCode.DONE:
        stats.state = 'done';
        return;
      default:
        return;
    }
  });
  ws.on('error', () => undefined);
  ws.on('close', () => {
    if (stats.state !== 'done') stats.state = 'closed';
  });
  return {
    stats,
    stop: () => {
      stopped = true;
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(CloseStatus.NORMAL, 'replay peer stopped');
    },
  };
}
