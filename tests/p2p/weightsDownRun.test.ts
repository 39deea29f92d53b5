import { afterEach, describe, expect, it } from 'vitest';
import { decodeFp16, encodeFp16, type WeightsReceiver } from '../../shared/compress';
import type { ConfigInput } from '../../shared/config/schema';
import { startHarness, type Harness } from '../integration/harness';
import type { StepBytes } from '../../coordinator/p2p/plane';
import { LoopNet, LoopTab } from './loopTree';
import type { SessionTree } from '../../client/p2p/sessionTree';

/**
 * Weights down the trees in real runs: a real coordinator on loopback, four
 * tabs speaking the real protocol (tests/p2p/loopTree.ts: the tabs' session
 * code, data channels replaced by calls), fan-in 2 (two roots; one of them
 * relays for the two other tabs). The coordinator sends a step's weights to
 * the roots only; the relay passes the same bytes on; each child checks
 * version and checksum before it installs them.
 *
 * - fp32, fp16 and delta weights: the coordinator's weights bytes out per
 *   full-tree step are k/N of the star's (2 of 4 payloads), and every tab
 *   holds bit for bit what the coordinator sent for that version (its
 *   master weights, their fp16 rounding, or the delta mirror).
 * - A relay that passes no weights on (as one that left mid-forward): its
 *   children wait the TREE's bounded time, ask the coordinator over their
 *   own socket, and the run is the star's all the same.
 */
const JOB: ConfigInput = { dataset: 'circles', samples: 200, hidden: [16], optimizer: 'sgd', lr: 0.5, batchSize: 40, epochs: 1, seed: 11, minPeers: 4 };
const TABS = 4;
const K = 2;

let runs: Harness[] = [];
afterEach(async () => {
  for (const h of runs) await h.close();
  runs = [];
});

type Codec = 'none' | 'fp16' | 'delta';

/**
 * What a tab holding version v may hold, as the coordinator sent it: for training, its master weights, their fp16
 * rounding or the delta mirror (recorded when v's first training task goes out); for evaluation, the exact master weights.
 */
function recordSent(h: Harness, codec: Codec): Map<string, Float32Array> {
  const sent = new Map<string, Float32Array>();
  const run = h.c.run;
  run.trace.subscribe((e) => {
    if (e.type !== 'task-sent') return;
    const key = `${run.store.version}/${e.kind}`;
    if (sent.has(key)) return;
    const w = run.store.weights;
    sent.set(key, e.kind !== 'train' ? Float32Array.from(w) : codec === 'delta' ? Float32Array.from(run.broadcast.mirrorWeights!) : codec === 'fp16' ? decodeFp16(encodeFp16(w)) : Float32Array.from(w));
  });
  return sent;
}

async function star(codec: Codec): Promise<{ weights: Float32Array; recent: StepBytes[] }> {
  const h = await startHarness({ ...JOB, weightsCodec: codec }, TABS);
  runs.push(h);
  expect(await h.done).toBe('completed');
  return { weights: Float32Array.from(h.c.run.store.weights), recent: h.c.run.p2p.view().recent };
}

async function tree(codec: Codec, dropAt: number | null, extra: ConfigInput = {}): Promise<{ h: Harness; tabs: LoopTab[]; sent: Map<string, Float32Array> }> {
  const h = await startHarness({ ...JOB, weightsCodec: codec, p2p: true, p2pFanIn: K, ...extra }, 0);
  runs.push(h);
  const sent = recordSent(h, codec);
  const net = new LoopNet();
  const tabs = Array.from({ length: TABS }, (_, i) => new LoopTab(net, h.c.localJoinUrl, `loop-${i + 1}`));
  if (dropAt !== null) tabs[dropAt]!.dropWeights = true;
  for (const t of tabs) h.peers.push(t.session);
  expect(await h.done).toBe('completed');
  return { h, tabs, sent };
}

/** Every tab's copy is bit for bit what the coordinator sent for the version it holds. */
function expectTabsHoldSent(tabs: LoopTab[], sent: Map<string, Float32Array>): void {
  for (const t of tabs) {
    const held = (t.session as unknown as { weights: WeightsReceiver }).weights;
    expect(held.version).toBeGreaterThan(0);
    const bytes = Buffer.from(held.weights!.buffer, held.weights!.byteOffset, held.weights!.byteLength);
    const candidates = ['train', 'eval'].map((k) => sent.get(`${held.version}/${k}`)).filter((w) => w !== undefined);
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.some((w) => bytes.equals(Buffer.from(w.buffer)))).toBe(true);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

describe('--p2p weights down the tree (real ws on loopback)', () => {
  it.each<Codec>(['none', 'fp16', 'delta'])('weights codec %s: the coordinator sends k/N of the star’s weights bytes per step; every tab holds its weights bit for bit', async (codec) => {
    const s = await star(codec);
    const { h, tabs, sent } = await tree(codec, null);
    const view = h.c.run.p2p.view();
    expect(view.weights.viaTree).toBeGreaterThan(0);
    expect(view.weights.fallbacks).toBe(0);
    expect(tabs.reduce((a, t) => a + t.weightsDown, 0)).toBe(view.weights.viaTree);
    // The relay's two children installed what came down the tree, checked (version and checksum), never refused.
    const counts = tabs.map((t) => (t.session as unknown as { tree: SessionTree }).tree.weights.counts);
    expect(counts.reduce((a, c) => a + c.viaTree, 0)).toBe(view.weights.viaTree);
    expect(counts.filter((c) => c.viaTree > 0)).toHaveLength(TABS - K);
    expect(counts.every((c) => c.refused === 0 && c.fallbacks === 0)).toBe(true);
    const trainSize = h.c.run.sampler.trainSize;
    expect(h.c.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: trainSize, complete: true })]);
    // Full-tree steps (all 4 tabs placed) against the star's steps with all 4 tabs: 2 payloads out instead of 4.
    const treeOut = median(view.recent.filter((r) => r.tree === TABS).map((r) => r.weightsOut));
    const starOut = median(s.recent.filter((r) => r.star === TABS).map((r) => r.weightsOut));
    expect(starOut).toBeGreaterThan(0);
    expect(treeOut).toBeLessThanOrEqual((K / TABS) * starOut);
    expectTabsHoldSent(tabs, sent);
    // The same update as the star: the tabs computed on the same weights.
    const diff = h.c.run.store.weights.reduce((m, v, i) => Math.max(m, Math.abs(v - s.weights[i]!)), 0);
    expect(diff).toBeLessThan(1e-5);
  }, 120_000);

  it('a relay that passes no weights on: its children ask the coordinator after the bounded wait; the run is the star’s', async () => {
    const s = await star('none');
    const { h, tabs, sent } = await tree('none', 0, { p2pWaitMs: 100 });
    const view = h.c.run.p2p.view();
    expect(view.weights.fallbacks).toBeGreaterThan(0);
    expect(h.logs.some((l) => /fetches the weights of step \d+ from the coordinator: they did not come down the tree/.test(l))).toBe(true);
    expect(tabs[0]!.weightsDown).toBe(0);
    const trainSize = h.c.run.sampler.trainSize;
    expect(h.c.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: trainSize, complete: true })]);
    expectTabsHoldSent(tabs, sent);
    const diff = h.c.run.store.weights.reduce((m, v, i) => Math.max(m, Math.abs(v - s.weights[i]!)), 0);
    expect(diff).toBeLessThan(1e-5);
  }, 120_000);
});
