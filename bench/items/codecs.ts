import { startNodePeer } from '../../client/node/nodePeer';
import { wireMeter, type WireMeter } from '../../client/node/wireMeter';
import type { PeerSession } from '../../client/peer/session';
import { GradientEncoder, decodeTensor, parseCompress } from '../../shared/compress';
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
 */
const CODECS = ['none', 'fp16', 'int8', 'topk:0.01'] as const;

interface CodecRun {
  codec: string;
  testAccuracy: number;
  upBytesPerStep: number;
  downBytesPerStep: number;
  steps: number;
  seconds: number;
  params: number;
  stateParams: number;
}

async function trainOnce(codec: string, epochs: number, seed: number): Promise<CodecRun> {
  const r = await startRun({ dataset: 'mnist', model: 'mlp', epochs, batchSize: 128, minPeers: 2, compress: codec, seed });
  const meters: WireMeter[] = [wireMeter(), wireMeter()];
  const peers: PeerSession[] = meters.map((meter, i) => startNodePeer({ joinUrl: r.c.localJoinUrl, nickname: `node-${i + 1}`, meter }));
  const t0 = performance.now();
  try {
    const reason = await within(r.c.done, 600_000, `training with --compress ${codec}`);
    if (reason !== 'completed') throw new Error(`training with --compress ${codec} ended ${reason}`);
    const up = meters.reduce((a, m) => a + (m.sent.GRAD?.bytes ?? 0), 0) / Math.max(1, meters.reduce((a, m) => a + (m.sent.GRAD?.frames ?? 0), 0));
    const down = meters.reduce((a, m) => a + (m.received['TASK/train']?.bytes ?? 0), 0) / Math.max(1, meters.reduce((a, m) => a + (m.received['TASK/train']?.frames ?? 0), 0));
    return { codec, testAccuracy: r.c.run.evaluator.final.testAccuracy ?? NaN, upBytesPerStep: up, downBytesPerStep: down, steps: r.c.run.step, seconds: (performance.now() - t0) / 1000, params: r.c.run.store.trainableSize, stateParams: r.c.run.store.stateSize };
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

export async function codecsItem(ctx: BenchContext): Promise<ItemResult> {
  const epochs = ctx.quick ? 1 : 3;
  const runs: CodecRun[] = [];
  for (let rep = 0; rep < ctx.repeats; rep++) {
    // Codecs interleaved within each repeat, so drift on a shared machine hits them alike.
    for (const codec of CODECS) {
      const x = await trainOnce(codec, epochs, 1 + rep);
      runs.push(x);
      ctx.log(`codec ${codec} repeat ${rep + 1}: test accuracy ${x.testAccuracy.toFixed(4)}, up ${Math.round(x.upBytesPerStep)} B/step/peer, down ${Math.round(x.downBytesPerStep)} B/step/peer, ${x.seconds.toFixed(1)} s`);
    }
  }
  const { params, stateParams } = runs[0]!;
  const floor = 2 * params * 4;
  const rows = CODECS.map((codec) => {
    const rs = runs.filter((r) => r.codec === codec);
    const none = runs.filter((r) => r.codec === 'none');
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
  const speed = codecSpeed(params, ctx.quick ? 8 : 20);
  const none = rows[0]!;
  const markdown = [
    `The MLP (${params.toLocaleString('en')} parameters${stateParams ? ` + ${stateParams} state` : ''}) on embedded MNIST, ${epochs} epoch${epochs > 1 ? 's' : ''}, global batch 128, two node peers over ws on loopback; codecs interleaved in each of ${ctx.repeats} repeats. Bytes are WebSocket message payloads per training step per peer, counted on the peers' sockets. The floor is 2 x params x 4 = ${floor.toLocaleString('en')} bytes (fp32 weights down, fp32 gradient up).`,
    '',
    table(
      ['codec', 'test accuracy', 'vs none', 'up B/step/peer', 'up saved vs none', 'down B/step/peer', '(up+down) / floor', 'run s'],
      rows.map((r) => [r.codec, r.testAccuracy, r.accuracyVsNone >= 0 ? `+${r.accuracyVsNone}` : r.accuracyVsNone, r.upBytes.toLocaleString('en'), `${(100 * r.upSaved).toFixed(1)}%`, r.downBytes.toLocaleString('en'), `${r.totalVsFloor}x`, r.seconds]),
    ),
    '',
    `Down is TASK frames of training steps (weights fp32 + sample indices); up is GRAD frames (gradient in the codec + header). int8 and top-k keep an error-feedback residual on each peer.`,
    '',
    `Codec speed in Node for ${params.toLocaleString('en')} values (median ms):`,
    '',
    table(['codec', 'encode ms (peer)', 'decode ms (coordinator)'], speed.map((s) => [s.codec, s.encodeMs, s.decodeMs])),
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
  };
  return {
    data: { params, stateParams, epochs, floorBytes: floor, rows, runs, speed },
    markdown,
    svgs,
    headline: [
      { label: 'wire, fp32: (up+down) per step per peer / floor', value: `${none.totalVsFloor}x (${(none.upBytes + none.downBytes).toLocaleString('en')} B vs ${floor.toLocaleString('en')} B)` },
      ...rows.map((r) => ({ label: `codec ${r.codec}: gradient bytes saved, test accuracy`, value: `${(100 * r.upSaved).toFixed(1)}% saved, ${r.testAccuracy} (${r.accuracyVsNone >= 0 ? '+' : ''}${r.accuracyVsNone} vs none)` })),
    ],
  };
}
