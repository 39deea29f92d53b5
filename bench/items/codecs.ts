import { startNodePeer } from '../../client/node/nodePeer';
import { meterTrace, wireMeter, type WireMeter } from '../replay/wireMeter';
import type { PeerSession } from '../../client/peer/session';
import { ParamStore } from '../../coordinator/run/paramStore';
import { WeightsBroadcast } from '../../coordinator/broadcast/weightsBroadcast';
import { GradientEncoder, WeightsReceiver, decodeTensor, parseCompress, parseWeightsCodec } from '../../shared/compress';
import { TaskFlag } from '../../shared/protocol';
import type { BenchContext, ItemResult } from '../context';
import { table } from '../context';
import { startRun, within } from '../run';
import { median, round } from '../stats';
import { barChart } from '../svg';

/**
 * Items 3 (wire) and the codec comparison: the MLP on embedded MNIST with
 * two node peers (the tabs' own session and trainer on tfjs cpu) over ws on
 * loopback, once per codec and repeat. Each peer's socket counts message
 * bytes by kind, so bytes per training step per peer in each direction come
 * from the wire itself, against the floor of 2 x params x 4 bytes.
 * Gradient codecs (--compress) run with float32 weights; weights codecs
 * (--weights-codec) with float32 gradients, so the `none` run is the
 * baseline of both.
 */
const CODECS = ['none', 'fp16', 'int8', 'topk:0.01'] as const;
const WEIGHTS_CODECS = ['fp16', 'delta', 'delta:fp16'] as const;

interface CodecRun {
  codec: string;
  weightsCodec: string;
  testAccuracy: number;
  upBytesPerStep: number;
  downBytesPerStep: number;
  steps: number;
  seconds: number;
  params: number;
  stateParams: number;
  /** Weights payloads attached to tasks: full (float32 or fp16) and deltas. */
  fullWeights: number;
  deltaWeights: number;
}

async function trainOnce(codec: string, weightsCodec: string, epochs: number, seed: number): Promise<CodecRun> {
  const r = await startRun({ dataset: 'mnist', model: 'mlp', epochs, batchSize: 128, minPeers: 2, compress: codec, weightsCodec, seed });
  const meters: WireMeter[] = [wireMeter(), wireMeter()];
  const peers: PeerSession[] = meters.map((meter, i) => startNodePeer({ joinUrl: r.c.localJoinUrl, nickname: `node-${i + 1}`, trace: meterTrace(meter) }));
  const t0 = performance.now();
  try {
    const what = `training with --compress ${codec} --weights-codec ${weightsCodec}`;
    const reason = await within(r.c.done, 600_000, what);
    if (reason !== 'completed') throw new Error(`${what} ended ${reason}`);
    const up = meters.reduce((a, m) => a + (m.sent.GRAD?.bytes ?? 0), 0) / Math.max(1, meters.reduce((a, m) => a + (m.sent.GRAD?.frames ?? 0), 0));
    const down = meters.reduce((a, m) => a + (m.received['TASK/train']?.bytes ?? 0), 0) / Math.max(1, meters.reduce((a, m) => a + (m.received['TASK/train']?.frames ?? 0), 0));
    const run = r.c.run;
    const counts = run.broadcast.counts;
    return {
      codec,
      weightsCodec,
      testAccuracy: run.evaluator.final.testAccuracy ?? NaN,
      upBytesPerStep: up,
      downBytesPerStep: down,
      steps: run.step,
      seconds: (performance.now() - t0) / 1000,
      params: run.store.trainableSize,
      stateParams: run.store.stateSize,
      fullWeights: counts.full,
      deltaWeights: counts.delta,
    };
  } finally {
    for (const p of peers) p.stop();
    await r.close();
  }
}

/** Encode and decode time of each codec for `n` values, in Node (the peers' side and the coordinator's). */
function codecSpeed(n: number, rounds: number): { codec: string; encodeMs: number; decodeMs: number }[] {
  const g = new Float32Array(n).map((_, i) => Math.sin(i * 1.3) * 1e-3 * (1 + (i % 7)));
  const out = new Float32Array(n);
  return CODECS.map((c) => {
    const enc = new GradientEncoder(parseCompress(c), n, [n]);
    const e: number[] = [];
    const d: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const p = enc.encode(g);
      const t1 = performance.now();
      decodeTensor(p, out);
      const t2 = performance.now();
      if (i > 0) {
        e.push(t1 - t0);
        d.push(t2 - t1);
      }
    }
    return { codec: c, encodeMs: round(median(e)), decodeMs: round(median(d)) };
  });
}

/**
 * Per weights codec and version, for `n` values moved by about 1e-3 each: the
 * coordinator's encoding (once per version, shared by every peer; delta:
 * difference, quantization and the mirror's update) and a peer applying it.
 */
function weightsCodecSpeed(n: number, rounds: number): { codec: string; coordinatorMs: number; peerMs: number }[] {
  return (['none', ...WEIGHTS_CODECS] as const).map((codec) => {
    const store = new ParamStore(new Float32Array(n).map((_, i) => Math.sin(i * 0.7) * 0.1), n);
    const broadcast = new WeightsBroadcast(parseWeightsCodec(codec), store, [n]);
    const peer = { id: 'p', sentWeights: -1 };
    const rx = new WeightsReceiver();
    const c: number[] = [];
    const p: number[] = [];
    for (let i = 0; i <= rounds; i++) {
      for (let j = 0; j < n; j++) store.weights[j]! -= 1e-3 * Math.sign(Math.sin(j * 1.3 + i));
      store.version++;
      const t0 = performance.now();
      const w = broadcast.forPeer(peer, false)!;
      const t1 = performance.now();
      rx.receive({ weights: w.payload, weightsVersion: store.version, flags: w.delta ? TaskFlag.WEIGHTS_DELTA : 0, baseVersion: w.baseVersion });
      const t2 = performance.now();
      if (i > 1) {
        c.push(t1 - t0);
        p.push(t2 - t1);
      }
    }
    return { codec, coordinatorMs: round(median(c)), peerMs: round(median(p)) };
  });
}

export async function codecsItem(ctx: BenchContext): Promise<ItemResult> {
  const epochs = ctx.quick ? 1 : 3;
  const runs: CodecRun[] = [];
  // --quick runs the weights codecs in the first repeat only (their 'vs none' pairs with that repeat's none run).
  const weightsRepeats = ctx.quick ? 1 : ctx.repeats;
  for (let rep = 0; rep < ctx.repeats; rep++) {
    const jobs = [...CODECS.map((c) => [c, 'none'] as const), ...(rep < weightsRepeats ? WEIGHTS_CODECS.map((w) => ['none', w] as const) : [])];
    // Codecs interleaved within each repeat, so drift on a shared machine hits them alike.
    for (const [codec, weightsCodec] of jobs) {
      const x = await trainOnce(codec, weightsCodec, epochs, 1 + rep);
      runs.push(x);
      ctx.log(`codec ${codec} weights ${weightsCodec} repeat ${rep + 1}: test accuracy ${x.testAccuracy.toFixed(4)}, up ${Math.round(x.upBytesPerStep)} B/step/peer, down ${Math.round(x.downBytesPerStep)} B/step/peer, ${x.seconds.toFixed(1)} s`);
    }
  }
  const { params, stateParams } = runs[0]!;
  const floor = 2 * params * 4;
  const none = runs.filter((r) => r.codec === 'none' && r.weightsCodec === 'none');
  const rows = CODECS.map((codec) => {
    const rs = runs.filter((r) => r.codec === codec && r.weightsCodec === 'none');
    return {
      codec,
      testAccuracy: round(median(rs.map((r) => r.testAccuracy)), 4),
      accuracyVsNone: round(median(rs.map((r, i) => r.testAccuracy - none[i]!.testAccuracy)), 4),
      upBytes: Math.round(median(rs.map((r) => r.upBytesPerStep))),
      downBytes: Math.round(median(rs.map((r) => r.downBytesPerStep))),
      upSaved: round(1 - median(rs.map((r, i) => r.upBytesPerStep / none[i]!.upBytesPerStep)), 4),
      totalVsFloor: round(median(rs.map((r) => (r.upBytesPerStep + r.downBytesPerStep) / floor)), 3),
      seconds: round(median(rs.map((r) => r.seconds)), 1),
    };
  });
  const weightsFp32 = 4 * (params + stateParams);
  const weightsRows = (['none', ...WEIGHTS_CODECS] as const).map((weightsCodec) => {
    // The repeats the weights codecs ran in, for the none row too, so every row is over the same repeats.
    const rs = runs.filter((r) => r.codec === 'none' && r.weightsCodec === weightsCodec).slice(0, weightsRepeats);
    return {
      weightsCodec,
      testAccuracy: round(median(rs.map((r) => r.testAccuracy)), 4),
      accuracyVsNone: round(median(rs.map((r, i) => r.testAccuracy - none[i]!.testAccuracy)), 4),
      downBytes: Math.round(median(rs.map((r) => r.downBytesPerStep))),
      downVsFp32: round(median(rs.map((r, i) => r.downBytesPerStep / none[i]!.downBytesPerStep)), 4),
      fullShare: round(median(rs.map((r) => r.fullWeights / Math.max(1, r.fullWeights + r.deltaWeights))), 4),
      seconds: round(median(rs.map((r) => r.seconds)), 1),
    };
  });
  const speed = codecSpeed(params, ctx.quick ? 8 : 20);
  const weightsSpeed = weightsCodecSpeed(params + stateParams, ctx.quick ? 8 : 20);
  const noneRow = rows[0]!;
  const markdown = [
    `The MLP (${params.toLocaleString('en')} parameters${stateParams ? ` + ${stateParams} state` : ''}) on embedded MNIST, ${epochs} epoch${epochs > 1 ? 's' : ''}, global batch 128, two node peers over ws on loopback; codecs interleaved in each of ${ctx.repeats} repeats. Bytes are WebSocket message payloads per training step per peer, counted on the peers' sockets. The floor is 2 x params x 4 = ${floor.toLocaleString('en')} bytes (fp32 weights down, fp32 gradient up).`,
    '',
    table(
      ['codec', 'test accuracy', 'vs none', 'up B/step/peer', 'up saved vs none', 'down B/step/peer', '(up+down) / floor', 'run s'],
      rows.map((r) => [r.codec, r.testAccuracy, signed(r.accuracyVsNone), r.upBytes.toLocaleString('en'), `${(100 * r.upSaved).toFixed(1)}%`, r.downBytes.toLocaleString('en'), `${r.totalVsFloor}x`, r.seconds]),
    ),
    '',
    `Down is TASK frames of training steps (weights fp32 + sample indices); up is GRAD frames (gradient in the codec + header). int8 and top-k keep an error-feedback residual on each peer.`,
    '',
    `Weights codecs (\`--weights-codec\`, gradients fp32), same job, ${weightsRepeats} repeat${weightsRepeats > 1 ? 's' : ''}; accuracy is measured on the exact float32 weights (evaluation tasks always get them). Down is bytes per training TASK per peer; "full" is the share of weights payloads sent whole (float32 to start a peer off and after each validation pass, for delta) rather than as a delta:`,
    '',
    table(
      ['weights codec', 'test accuracy', 'vs none', 'down B/step/peer', 'down vs fp32', 'full payloads', 'run s'],
      weightsRows.map((r) => [r.weightsCodec, r.testAccuracy, signed(r.accuracyVsNone), r.downBytes.toLocaleString('en'), `${r.downVsFp32}x`, `${(100 * r.fullShare).toFixed(1)}%`, r.seconds]),
    ),
    '',
    `Codec speed in Node for ${params.toLocaleString('en')} values (median ms):`,
    '',
    table(['codec', 'encode ms (peer)', 'decode ms (coordinator)'], speed.map((s) => [s.codec, s.encodeMs, s.decodeMs])),
    '',
    `Weights codecs per version for ${(params + stateParams).toLocaleString('en')} values (median ms; the coordinator encodes once per version for every peer):`,
    '',
    table(['weights codec', 'encode ms (coordinator)', 'apply ms (peer)'], weightsSpeed.map((s) => [s.codec, s.coordinatorMs, s.peerMs])),
  ].join('\n');
  const svgs = {
    'codec-bytes': barChart({ title: 'Gradient bytes per step per peer (up)', yLabel: 'bytes', categories: rows.map((r) => r.codec), series: [{ name: 'up', values: rows.map((r) => r.upBytes) }] }),
    'codec-accuracy': barChart({ title: `Test accuracy after ${epochs} epoch(s), MLP on MNIST`, yLabel: 'accuracy', categories: rows.map((r) => r.codec), series: [{ name: 'test accuracy', values: rows.map((r) => r.testAccuracy) }] }),
    wire: barChart({
      title: 'Wire bytes per step per peer vs the fp32 floor',
      yLabel: 'bytes',
      categories: rows.map((r) => r.codec),
      series: [
        { name: 'down (TASK)', values: rows.map((r) => r.downBytes) },
        { name: 'up (GRAD)', values: rows.map((r) => r.upBytes) },
        { name: 'floor per direction', values: rows.map(() => params * 4) },
      ],
    }),
    'weights-codec-bytes': barChart({ title: 'Weights bytes per training step per peer (down)', yLabel: 'bytes', categories: weightsRows.map((r) => r.weightsCodec), series: [{ name: 'down (TASK)', values: weightsRows.map((r) => r.downBytes) }] }),
  };
  return {
    data: { params, stateParams, epochs, floorBytes: floor, weightsFp32Bytes: weightsFp32, weightsRepeats, rows, weightsRows, runs, speed, weightsSpeed },
    markdown,
    svgs,
    headline: [
      { label: 'wire, fp32: (up+down) per step per peer / floor', value: `${noneRow.totalVsFloor}x (${(noneRow.upBytes + noneRow.downBytes).toLocaleString('en')} B vs ${floor.toLocaleString('en')} B)` },
      ...rows.map((r) => ({ label: `codec ${r.codec}: gradient bytes saved, test accuracy`, value: `${(100 * r.upSaved).toFixed(1)}% saved, ${r.testAccuracy} (${signed(r.accuracyVsNone)} vs none)` })),
      ...weightsRows.slice(1).map((r) => ({ label: `weights codec ${r.weightsCodec}: down bytes vs fp32, test accuracy`, value: `${r.downVsFp32}x (${r.downBytes.toLocaleString('en')} B/step/peer), ${r.testAccuracy} (${signed(r.accuracyVsNone)} vs none)` })),
    ],
  };
}

function signed(x: number): string {
  return x >= 0 ? `+${x}` : String(x);
}
