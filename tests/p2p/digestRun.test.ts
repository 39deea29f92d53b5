import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../shared/config/schema';
import { startHarness, type Harness } from '../integration/harness';
import { LoopNet, LoopTab } from './loopTree';
import type { CoveredSum } from '../../shared/p2p/treeSum';

/**
 * The digest check in real runs: a real coordinator on loopback, four tabs
 * speaking the real protocol over real WebSockets (tests/p2p/loopTree.ts:
 * the tabs' session and relay code, data channels replaced by calls), one
 * epoch of a small job with --p2p and fan-in 2 (one relay with two children
 * under it each step). Reference: the same job on the star with node peers.
 *
 * - Honest trees: every relayed sum is checked against its tabs' digests and
 *   passes; the weights are the star's (float tolerance of another summation
 *   order) and every training sample is used exactly once.
 * - A forging relay (it passes its children's counts, loss and task list up
 *   but replaces one child's gradient sum by zeros): the sum is rejected,
 *   the relay is quarantined with the reason (P2P_SUM_FORGED, in its peer
 *   record as the dashboard and the report show it), the shards are redone
 *   by the others, accounting stays exact and the weights are still the
 *   star's: the forgery never touched them. Were the forged sum counted, the
 *   weights would be off by lr x a child's gradient (far above the tolerance).
 */
const JOB: ConfigInput = { dataset: 'circles', samples: 200, hidden: [16], optimizer: 'sgd', lr: 0.5, batchSize: 40, epochs: 1, seed: 11, minPeers: 4 };
const TABS = 4;
/** Float32 sums in another order: the star and the tree add the same parts differently. */
const TOLERANCE = 1e-5;

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** The star's weights for JOB: computed once, shared by both sync cases. */
let reference: Promise<Float32Array> | null = null;
function starWeights(): Promise<Float32Array> {
  return (reference ??= runStar());
}

async function runStar(): Promise<Float32Array> {
  const star = await startHarness(JOB, TABS);
  try {
    expect(await star.done).toBe('completed');
    return Float32Array.from(star.c.run.store.weights);
  } finally {
    await star.close();
  }
}

function treeRun(forge: ((s: CoveredSum) => CoveredSum | null) | null, extra: ConfigInput = {}): Promise<{ h: Harness; tabs: LoopTab[] }> {
  return startHarness({ ...JOB, p2p: true, p2pFanIn: 2, ...extra }, 0).then((started) => {
    h = started;
    const net = new LoopNet();
    // The first tab to report its id relays (the plane keeps the earliest at the top): give it the forge hook.
    const tabs = Array.from({ length: TABS }, (_, i) => new LoopTab(net, started.c.localJoinUrl, `loop-${i + 1}`, i === 0 ? forge : null));
    for (const t of tabs) started.peers.push(t.session);
    return { h: started, tabs };
  });
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('--p2p digests in a real run (real ws on loopback)', () => {
  it('honest relays: every relayed sum passes its digest check, the weights are the star’s, each sample used once', async () => {
    const reference = await starWeights();
    const { h: run } = await treeRun(null);
    expect(await run.done).toBe('completed');
    const view = run.c.run.p2p.view();
    expect(view.digests.failed).toBe(0);
    expect(view.digests.passed).toBeGreaterThan(0);
    expect(view.relayed.accepted).toBeGreaterThanOrEqual(view.digests.passed);
    const trainSize = run.c.run.sampler.trainSize;
    expect(run.c.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: trainSize, complete: true })]);
    expect(maxDiff(run.c.run.store.weights, reference)).toBeLessThan(TOLERANCE);
  }, 120_000);

  it('a relay that zeroes a child’s gradient is caught by the digests: sum rejected, relay quarantined with the reason, weights untouched', async () => {
    const reference = await starWeights();
    const zeroChild = (s: CoveredSum): CoveredSum => ({ ...s, sum: { ...s.sum, grad: new Float32Array(s.sum.grad.length) } });
    const { h: run, tabs } = await treeRun(zeroChild);
    expect(await run.done).toBe('completed');
    const forger = tabs[0]!;
    expect(forger.forged).toBeGreaterThan(0);
    const view = run.c.run.p2p.view();
    expect(view.digests.failed).toBe(1);
    expect(view.rejections).toEqual([expect.objectContaining({ from: forger.peerId, relays: [forger.peerId], reason: expect.stringMatching(/gradient projection \d is off by/) })]);
    const record = run.c.run.peers.get(forger.peerId)!;
    expect(record.quarantine).toMatchObject({ code: 'P2P_SUM_FORGED', reason: expect.stringContaining('does not add up to their digests') });
    // the honest tabs were not quarantined, and did the forger's subtree's work again
    for (const t of tabs.slice(1)) expect(run.c.run.peers.get(t.peerId)!.quarantine).toBeUndefined();
    const trainSize = run.c.run.sampler.trainSize;
    expect(run.c.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: trainSize, complete: true })]);
    expect(maxDiff(run.c.run.store.weights, reference)).toBeLessThan(TOLERANCE);
  }, 120_000);

  // --compress on every hop: leaves encode their sums, the relay decodes, adds its own and encodes again, the root's RELAYED
  // is in the codec too. The rounding of each hop is in its sender's digest, so honest trees pass; the weights are the
  // star's within the codec's rounding (far less than how far training moved them), and the hops are smaller.
  it.each([
    ['fp16', 0.5, 5e-4],
    ['int8', 0.4, 3e-3],
  ] as const)('--compress %s on every tab-to-tab hop: every relayed sum passes its digests, the run trains as the star does', async (compress, bytesRatio, tolerance) => {
    const reference = await starWeights();
    const { h: run, tabs } = await treeRun(null, { compress });
    const initial = Float32Array.from(run.c.run.store.weights);
    expect(await run.done).toBe('completed');
    const view = run.c.run.p2p.view();
    expect(view.digests.failed).toBe(0);
    expect(view.digests.passed).toBeGreaterThan(0);
    const trainSize = run.c.run.sampler.trainSize;
    expect(run.c.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: trainSize, complete: true })]);
    expect(maxDiff(run.c.run.store.weights, reference)).toBeLessThan(tolerance);
    console.log(`--compress ${compress}: weights off the star’s by ${maxDiff(run.c.run.store.weights, reference).toExponential(2)}, moved ${maxDiff(initial, reference).toExponential(2)}`);
    expect(maxDiff(initial, reference)).toBeGreaterThan(20 * tolerance);
    // each sum sent up a data channel is in the codec: its gradient part is the codec's size, not float32's
    const hops = tabs.flatMap((t) => t.hopBytes);
    expect(hops.length).toBeGreaterThan(0);
    const params = run.c.run.store.weights.length;
    for (const b of hops) expect(b.fp32 - b.sent).toBeGreaterThanOrEqual(Math.floor(4 * params * (1 - bytesRatio)));
    const sent = hops.reduce((a, b) => a + b.sent, 0);
    const fp32 = hops.reduce((a, b) => a + b.fp32, 0);
    console.log(`--compress ${compress}: ${hops.length} tab-to-tab hops, ${sent} bytes vs ${fp32} in float32 (${(sent / fp32).toFixed(3)}; ${params} parameters)`);
  }, 120_000);

  it('local steps: the tree carries weight changes x counts; every round is relayed and digest-checked, each sample used once', async () => {
    const { h: run } = await treeRun(null, { mode: 'local', localSteps: 2 });
    let rounds = 0;
    run.c.run.trace.subscribe((e) => void (e.type === 'step-applied' && rounds++));
    expect(await run.done).toBe('completed');
    expect(run.logs.some((l) => l.startsWith('--p2p: tabs with WebRTC add up their weight changes'))).toBe(true);
    const view = run.c.run.p2p.view();
    expect(rounds).toBe(2); // 160 training samples, batches of 40, 2 inner steps a round
    // every round's work came up the tree: one relayed sum per relay, each checked against its tabs' digests
    expect(view.digests).toMatchObject({ passed: rounds, failed: 0 });
    // and the rounds' start weights went down the same tree to the relay's children (a tab whose id came late joins the
    // tree a round later), none fetched from the coordinator instead
    expect(view.weights.viaTree).toBeGreaterThan(0);
    expect(view.weights.fallbacks).toBe(0);
    const trainSize = run.c.run.sampler.trainSize;
    expect(run.c.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: trainSize, complete: true })]);
  }, 120_000);
});
