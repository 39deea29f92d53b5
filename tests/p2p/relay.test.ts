import { describe, expect, it } from 'vitest';
import { checkRelayedSum, digestOf } from '../../shared/p2p/digest';
import { StepRelay } from '../../shared/p2p/relay';
import { decodeSum, encodeSum, type GradSum } from '../../shared/p2p/sum';
import { chooseTree, subtreeOf } from '../../shared/p2p/tree';

const P = 1000;
const own = (i: number, step = 3): GradSum => ({ step, count: 8 + i, lossSum: 0.25 * i, grad: Float32Array.from({ length: P }, (_, j) => Math.sin(i * 7919 + j) * (1 + i)) });

describe('a tab relaying one step', () => {
  it('sends one sum up once its own and every child’s sum are in, whatever the order', () => {
    const up: GradSum[] = [];
    const r = new StepRelay(3, ['b', 'c'], (s) => up.push(s));
    r.fromChild('c', own(2));
    expect(r.waitingFor()).toEqual(['b']);
    r.own(own(0));
    expect(up).toEqual([]);
    r.fromChild('b', own(1));
    expect(up).toHaveLength(1);
    expect(up[0]!.count).toBe(8 + 9 + 10);
    expect(up[0]!.lossSum).toBe(0.75);
    expect(up[0]!.grad[5]).toBeCloseTo(own(0).grad[5]! + own(1).grad[5]! + own(2).grad[5]!, 5);
  });

  it('a leaf (no children) sends its own sum straight up', () => {
    const up: GradSum[] = [];
    new StepRelay(3, [], (s) => up.push(s)).own(own(4));
    expect(up.map((s) => s.count)).toEqual([12]);
  });

  it('refuses a stranger, a second sum from a child and another step’s sum, and never sends a partial sum', () => {
    const up: GradSum[] = [];
    const r = new StepRelay(3, ['b'], (s) => up.push(s));
    r.fromChild('x', own(1));
    r.fromChild('b', own(1, 2));
    r.own(own(0));
    expect(up).toEqual([]);
    r.fromChild('b', own(1));
    r.fromChild('b', own(1));
    expect(r.refused).toBe(3);
    expect(up).toHaveLength(1);
  });

  it('8 tabs, fan-in 2, sums on the wire: the coordinator gets 2 sums whose total is the star’s (float tolerance), counts exact, digests pass', () => {
    const tabs = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const tree = chooseTree({ tabs, fanIn: 2 });
    const seed = 4242;
    const atCoordinator: { root: string; bytes: number; sum: GradSum }[] = [];
    const relays = new Map<string, StepRelay>();
    for (const t of tabs) {
      const parent = tree.parent.get(t);
      relays.set(
        t,
        new StepRelay(3, tree.children.get(t) ?? [], (s) => {
          const wire = encodeSum(s); // every hop goes through the wire form
          if (parent) relays.get(parent)!.fromChild(t, decodeSum(wire, P));
          else atCoordinator.push({ root: t, bytes: wire.byteLength, sum: decodeSum(wire, P) });
        }),
      );
    }
    for (const i of [7, 3, 5, 0, 6, 1, 4, 2]) relays.get(`t${i}`)!.own(own(i));
    expect(atCoordinator.map((a) => a.root).sort()).toEqual(['t0', 't1']);
    const owns = tabs.map((_, i) => own(i));
    const star = new Float64Array(P);
    for (const o of owns) o.grad.forEach((v, j) => (star[j] = star[j]! + v));
    const total = new Float32Array(P);
    for (const a of atCoordinator) a.sum.grad.forEach((v, j) => (total[j] = total[j]! + v));
    const maxDiff = Math.max(...total.map((v, j) => Math.abs(v - star[j]!)));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(atCoordinator.reduce((a, x) => a + x.sum.count, 0)).toBe(8 * 8 + 28);
    // Bytes the coordinator received for the step's gradients: 2 sums instead of 8 (k/N).
    expect(atCoordinator.reduce((a, x) => a + x.bytes, 0)).toBe(2 * (20 + 4 * P));
    // Each root's sum adds up to the digests of the tabs of its subtree.
    for (const a of atCoordinator) {
      const digests = subtreeOf(tree, a.root).map((t) => owns[Number(t.slice(1))]!).map((o) => digestOf(o.grad, o.count, o.lossSum, seed));
      expect(checkRelayedSum(a.sum, digests, seed)).toEqual({ ok: true });
    }
  });
});
