import { describe, expect, it } from 'vitest';
import { ParamStore } from '../../coordinator/run/paramStore';
import { newPeerRecord } from '../../coordinator/run/peerRecord';
import { TaskSender } from '../../coordinator/broadcast/taskSender';
import { StepTimeline } from '../../coordinator/dashboard/timeline';
import type { PeerRecord } from '../../coordinator/run/types';
import { WeightsBroadcast } from '../../coordinator/broadcast/weightsBroadcast';
import { WeightsReceiver, decodeFp16, decodeTensor, encodeFp16, encodeFp32, int8Bytes, parseWeightsCodec } from '../../shared/compress';
import { MessageCode, TaskFlag, TaskKind, TensorCodec, align4, decodeMessage, encodeTask, type TaskFrame } from '../../shared/protocol';
import { gradientLike } from '../compress/rng';

/**
 * The coordinator's side of --weights-codec, without sockets: a parameter
 * store moved by an Adam-like update each version, the real TaskSender and
 * TASK encoding, and peers holding their copy in the tabs' own
 * WeightsReceiver. Every frame goes through decodeMessage.
 */
const SEGMENTS = [1200, 300, 2000, 10];
const N = SEGMENTS.reduce((a, b) => a + b, 0);

class Fixture {
  readonly store = new ParamStore(gradientLike(N, 7).map((x) => x * 10), N);
  readonly broadcast: WeightsBroadcast;
  readonly peers = new Map<string, { rec: PeerRecord; rx: WeightsReceiver; tasks: TaskFrame[]; parts: Uint8Array[][] }>();
  private readonly sender: TaskSender;
  private nextTask = 1;

  constructor(codec: string, sendParts = false) {
    this.broadcast = new WeightsBroadcast(parseWeightsCodec(codec), this.store, SEGMENTS);
    const deliver = (peerId: string, frame: Uint8Array): void => {
      const m = decodeMessage(frame);
      if (m.code !== MessageCode.TASK) throw new Error('not a TASK');
      const p = this.peers.get(peerId)!;
      p.tasks.push(m.task);
      p.rx.receive(m.task);
    };
    const io = {
      now: () => 0,
      send: deliver,
      wakeAt: () => undefined,
      log: () => undefined,
      finished: () => undefined,
      ...(sendParts
        ? {
            sendParts: (peerId: string, parts: readonly Uint8Array[]) => {
              this.peers.get(peerId)!.parts.push([...parts]);
              deliver(peerId, Uint8Array.from(Buffer.concat(parts.map((x) => Buffer.from(x)))));
            },
          }
        : {}),
    };
    this.sender = new TaskSender(io, { seed: 1, augment: false }, this.broadcast, new StepTimeline());
    for (const id of ['a', 'b', 'c']) {
      const rec = newPeerRecord(id, { token: '', kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: id, reconnectToken: '', codecs: [1] }, 0);
      this.peers.set(id, { rec, rx: new WeightsReceiver(), tasks: [], parts: [] });
    }
  }

  /** One optimizer-like update: every weight moves by about 1e-3, some tensors more than others. */
  update(): void {
    const w = this.store.weights;
    const g = gradientLike(N, 1000 + this.store.version);
    for (let i = 0; i < N; i++) w[i]! -= 1e-3 * Math.sign(g[i]!) * (1 + (i % 13)) + (i < 1200 ? 0 : 5e-4 * g[i]! * 1e3);
    this.store.version++;
  }

  /** Sends one task to each peer in order; returns the TASKs they got. */
  send(ids: string[], kind: 'train' | 'eval' = 'train'): TaskFrame[] {
    return ids.map((id) => {
      const p = this.peers.get(id)!;
      const v = this.store.version;
      this.sender.send(p.rec, { type: 'send', peerId: id, taskId: this.nextTask++, kind, roundId: v, version: v, indices: Uint32Array.of(0), backup: false });
      return p.tasks.at(-1)!;
    });
  }

  copy(id: string): Float32Array {
    return this.peers.get(id)!.rx.weights!;
  }

  /** As join() does for a peer that reconnects: nothing known of its copy, and its session starts afresh. */
  reconnect(id: string): void {
    const p = this.peers.get(id)!;
    p.rec.sentWeights = -1;
    p.rx.reset();
  }
}

const isDelta = (t: TaskFrame): boolean => (t.flags & TaskFlag.WEIGHTS_DELTA) !== 0;

/** Bit-identical (a float compare would let -0 equal 0): how many values differ in their bits. */
function bitsDiffer(x: Float32Array, y: Float32Array): number {
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  let n = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('--weights-codec delta: a mirror of what peers hold, error feedback', () => {
  it('over 300 versions the peers stay bit-identical to the mirror, and |W - M| stays within half a quantization step', () => {
    const f = new Fixture('delta');
    let worst = 0;
    for (let v = 0; v < 300; v++) {
      if (v > 0) f.update();
      const [ta, tb] = f.send(['a', 'b']);
      const m = f.broadcast.mirrorWeights!;
      expect(bitsDiffer(f.copy('a'), m)).toBe(0);
      expect(bitsDiffer(f.copy('b'), m)).toBe(0);
      if (v === 0) {
        expect(isDelta(ta!) || isDelta(tb!)).toBe(false);
        expect(m).toEqual(f.store.weights); // the first weights are exact
        continue;
      }
      expect(isDelta(ta!) && isDelta(tb!)).toBe(true);
      expect(ta!.baseVersion).toBe(v - 1);
      expect(ta!.weights.codec).toBe(TensorCodec.INT8);
      expect(ta!.weights.bytes.byteLength).toBe(int8Bytes(N, SEGMENTS.length));
      // One quantization step of each tensor is its scale, max|D| / 127: W - M is the rounding of the last delta only.
      const d = decodeTensor(ta!.weights);
      let at = 0;
      for (const len of SEGMENTS) {
        let max = 0;
        for (let i = at; i < at + len; i++) max = Math.max(max, Math.abs(d[i]!));
        const half = max / 127 / 2;
        let over = 0;
        for (let i = at; i < at + len; i++) {
          const err = Math.abs(f.store.weights[i]! - m[i]!);
          if (err > half * (1 + 1e-5) + 1e-6 * Math.abs(m[i]!)) over++;
          worst = Math.max(worst, err / half);
        }
        expect(over).toBe(0);
        at += len;
      }
    }
    expect(worst).toBeGreaterThan(0.5); // the bound is tight, not vacuous
  });

  it('delta:fp16 keeps the same invariant with a 2-byte delta (half precision: within 2^-11 of each delta)', () => {
    const f = new Fixture('delta:fp16');
    for (let v = 0; v < 50; v++) {
      if (v > 0) f.update();
      const [t] = f.send(['a']);
      const m = f.broadcast.mirrorWeights!;
      expect(bitsDiffer(f.copy('a'), m)).toBe(0);
      if (v === 0) continue;
      expect(t!.weights.codec).toBe(TensorCodec.FP16);
      const d = decodeTensor(t!.weights);
      let over = 0;
      for (let i = 0; i < N; i++) if (Math.abs(f.store.weights[i]! - m[i]!) > Math.abs(d[i]!) * 2 ** -10 + 1e-6 * Math.abs(m[i]!)) over++;
      expect(over).toBe(0);
    }
  });

  it('keyframes: a new peer, skipped versions and a reconnect get full float32 weights; nothing is sent twice', () => {
    const f = new Fixture('delta');
    f.send(['a']);
    f.update();
    const [ta, tb] = f.send(['a', 'b']);
    expect(isDelta(ta!)).toBe(true);
    // b joined: the mirror M_1 in float32, the very copy a holds.
    expect(isDelta(tb!)).toBe(false);
    expect(tb!.weights.codec).toBe(TensorCodec.FP32);
    expect(f.copy('b')).toEqual(f.copy('a'));
    expect(f.copy('b')).not.toEqual(f.store.weights);
    // A second task at the same version carries no weights.
    expect(f.send(['a', 'b']).map((t) => t.weights.codec)).toEqual([TensorCodec.NONE, TensorCodec.NONE]);
    // b skips two versions, then gets a keyframe while a goes on with deltas.
    f.update();
    f.send(['a']);
    f.update();
    const [a4, b4] = f.send(['a', 'b']);
    expect([isDelta(a4!), isDelta(b4!)]).toEqual([true, false]);
    expect(f.copy('b')).toEqual(f.broadcast.mirrorWeights);
    // a reconnects; asked after b (who holds the base), it gets the mirror in float32.
    f.update();
    f.reconnect('a');
    const [b5, a5] = f.send(['b', 'a']);
    expect([isDelta(b5!), isDelta(a5!)]).toEqual([true, false]);
    expect(f.copy('a')).toEqual(f.copy('b'));
    // Asked first, a peer without the base makes the version a keyframe of the exact weights, for everyone.
    f.update();
    f.reconnect('a');
    const [a6, b6] = f.send(['a', 'b']);
    expect([isDelta(a6!), isDelta(b6!)]).toEqual([false, false]);
    expect(f.copy('a')).toEqual(f.store.weights);
    expect(f.copy('b')).toEqual(f.store.weights);
    expect(f.broadcast.counts).toEqual(expect.objectContaining({ delta: 4, full: 6 }));
  });

  it('evaluation computes on the exact float32 weights beside the delta lineage: the peers that did not evaluate go on with deltas', () => {
    const f = new Fixture('delta');
    f.send(['a', 'b', 'c']);
    for (let v = 0; v < 5; v++) {
      f.update();
      f.send(['a', 'b', 'c']);
    }
    expect(f.copy('a')).not.toEqual(f.store.weights);
    // A validation pass on a and b only (the fastest few: coordinator/round/engine.ts, EVAL_MIN_SHARD).
    f.update();
    const mirrorBefore = Float32Array.from(f.broadcast.mirrorWeights!);
    const evals = f.send(['a', 'b'], 'eval');
    expect(evals.every((t) => t.kind === TaskKind.EVAL && t.weights.codec === TensorCodec.FP32 && !isDelta(t))).toBe(true);
    expect(f.copy('a')).toEqual(f.store.weights);
    expect(f.broadcast.mirrorWeights).toEqual(mirrorBefore); // the lineage is untouched
    // The round after it, at the same version: a and b train on the exact weights they hold (nothing sent), c gets a delta.
    const [ta, tb, tc] = f.send(['a', 'b', 'c']);
    expect([ta!.weights.codec, tb!.weights.codec]).toEqual([TensorCodec.NONE, TensorCodec.NONE]);
    expect(isDelta(tc!)).toBe(true);
    expect(tc!.weights.bytes.byteLength).toBe(int8Bytes(N, SEGMENTS.length));
    expect(bitsDiffer(f.copy('c'), f.broadcast.mirrorWeights!)).toBe(0);
    expect(f.copy('a')).toEqual(f.store.weights);
    // The version after: c goes on with deltas; a and b are off the lineage and get the mirror in float32 (no delta on a base they lack).
    f.update();
    const [a2, b2, c2] = f.send(['a', 'b', 'c']);
    expect([isDelta(a2!), isDelta(b2!), isDelta(c2!)]).toEqual([false, false, true]);
    expect(a2!.weights.codec).toBe(TensorCodec.FP32);
    for (const id of ['a', 'b', 'c']) expect(bitsDiffer(f.copy(id), f.broadcast.mirrorWeights!)).toBe(0);
    // Asked first, a peer holding the exact weights does not turn the version into a keyframe for everyone.
    f.update();
    f.send(['a'], 'eval');
    const [a3, c3] = f.send(['a', 'c']);
    expect(a3!.weights.codec).toBe(TensorCodec.NONE);
    expect(isDelta(c3!)).toBe(true);
  });

  it('in a class of 16 with a validation pass on 3 each version, weights bytes down fall to 3 float32 copies and 13 deltas', () => {
    const f = new Fixture('delta');
    const ids = Array.from({ length: 16 }, (_, i) => `p${i}`);
    for (const id of ids) {
      const rec = newPeerRecord(id, { token: '', kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: id, reconnectToken: '', codecs: [1] }, 0);
      f.peers.set(id, { rec, rx: new WeightsReceiver(), tasks: [], parts: [] });
    }
    f.send(ids);
    const bytes = (ts: TaskFrame[]): number => ts.reduce((n, t) => n + t.weights.bytes.byteLength, 0);
    let perVersion = 0;
    for (let v = 0; v < 4; v++) {
      f.update();
      perVersion = bytes(f.send(ids.slice(0, 3), 'eval')) + bytes(f.send(ids));
      for (const id of ids.slice(3)) expect(bitsDiffer(f.copy(id), f.broadcast.mirrorWeights!)).toBe(0);
      for (const id of ids.slice(0, 3)) expect(f.copy(id)).toEqual(f.store.weights);
    }
    expect(perVersion).toBe(3 * 4 * N + 13 * int8Bytes(N, SEGMENTS.length));
  });
});

describe('--weights-codec fp16 and none', () => {
  it('fp16: every version is fp16 of the float32 master, so nothing accumulates; evaluation gets float32', () => {
    const f = new Fixture('fp16');
    for (let v = 0; v < 40; v++) {
      if (v > 0) f.update();
      const [t] = f.send(['a']);
      expect(t!.weights.codec).toBe(TensorCodec.FP16);
      expect(f.copy('a')).toEqual(decodeFp16(encodeFp16(f.store.weights)));
    }
    const [e] = f.send(['a'], 'eval');
    expect(e!.weights.codec).toBe(TensorCodec.FP32);
    expect(f.copy('a')).toEqual(f.store.weights);
  });

  it('none: each version goes once per peer as the float32 weights, byte for byte the frame it always was', () => {
    const f = new Fixture('none');
    for (let v = 0; v < 3; v++) {
      if (v > 0) f.update();
      const [t, again] = [f.send(['a'])[0]!, f.send(['a'])[0]!];
      const expected = encodeTask({ ...t, weights: encodeFp32(f.store.weights) });
      const got = encodeTask(t);
      expect(got).toEqual(expected);
      expect(again.weights.codec).toBe(TensorCodec.NONE);
      expect(f.send(['a'], 'eval')[0]!.weights.codec).toBe(TensorCodec.NONE); // the training weights are exact already
    }
  });
});

describe('payload buffers (Io.sendParts: sent as is, never copied)', () => {
  it('one payload per version shared by every peer, its buffer reused once they answered: no allocation per step', () => {
    const f = new Fixture('delta', true);
    const answerAll = (): void => {
      for (const [id, p] of f.peers) if (p.tasks.length) f.broadcast.answered(id, Math.max(...p.tasks.map((t) => t.taskId)));
    };
    let afterWarmup = 0;
    for (let v = 0; v < 30; v++) {
      if (v > 0) f.update();
      f.send(['a', 'b', 'c']);
      const shared = ['a', 'b', 'c'].map((id) => f.peers.get(id)!.parts.at(-1)![1]);
      expect(shared[1]).toBe(shared[0]);
      expect(shared[2]).toBe(shared[0]);
      answerAll();
      if (v === 3) afterWarmup = f.broadcast.pool.allocatedBytes;
    }
    expect(f.broadcast.pool.allocatedBytes).toBe(afterWarmup);
    // The delta payload's bytes are in the frame as sent, padded to 4.
    const t = f.peers.get('a')!.tasks.at(-1)!;
    expect(f.peers.get('a')!.parts.at(-1)!.reduce((n, x) => n + x.byteLength, 0)).toBe(36 + 4 + align4(t.weights.bytes.byteLength));
  });

  it('a buffer a silent peer may still be reading is never overwritten; it is reused once that peer left', () => {
    const f = new Fixture('delta', true);
    const sentTo = (id: string): Uint8Array => f.peers.get(id)!.parts.at(-1)![1]!;
    f.send(['a', 'b']);
    const first = Uint8Array.from(sentTo('b'));
    const firstBuffer = sentTo('b');
    for (let v = 0; v < 10; v++) {
      f.update();
      f.send(['a', 'b']);
      f.broadcast.answered('a', f.peers.get('a')!.tasks.at(-1)!.taskId); // b never answers
    }
    expect(firstBuffer).toEqual(first); // b's socket may still be writing it
    const grown = f.broadcast.pool.allocatedBytes;
    f.broadcast.gone('b');
    for (let v = 0; v < 10; v++) {
      f.update();
      f.send(['a']);
      f.broadcast.answered('a', f.peers.get('a')!.tasks.at(-1)!.taskId);
    }
    expect(f.broadcast.pool.allocatedBytes).toBe(grown);
  });
});
