import { describe, expect, it } from 'vitest';
import { TreeStep } from '../../coordinator/p2p/treeStep';
import { digestOf } from '../../shared/p2p/digest';
import { chooseTree } from '../../shared/p2p/tree';

const seed = 12345;
const own = (i: number): Float32Array => Float32Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j));
const tabs = ['t0', 't1', 't2', 't3', 't4'];
const idx = (t: string): number => Number(t.slice(1));
function sumFor(ts: string[]): { grad: Float32Array; count: number; lossSum: number } {
  const grad = new Float32Array(64);
  for (const t of ts) own(idx(t)).forEach((v, j) => (grad[j] = grad[j]! + v));
  return { grad, count: 8 * ts.length, lossSum: ts.length * 0.5 };
}
const digest = (t: string) => digestOf(own(idx(t)), 8, 0.5, seed);

describe('one sync step over the tree (coordinator side)', () => {
  // k=2: roots t0, t1; t0 relays t2, t3; t1 relays t4
  const tree = chooseTree({ tabs, fanIn: 2 });

  it('reveals the seed to a subtree only after its sum, accepts it when every digest adds up', () => {
    const step = new TreeStep(tree, seed);
    expect(step.digestArrived('t2', digest('t2'))).toEqual([]); // before the reveal: ignored
    const ev = step.sumArrived('t0', sumFor(['t0', 't2', 't3']));
    expect(ev).toEqual([{ kind: 'reveal', tabs: ['t0', 't2', 't3'], seed }]);
    expect(step.digestArrived('t0', digest('t0'))).toEqual([]);
    expect(step.digestArrived('t2', digest('t2'))).toEqual([]);
    const done = step.digestArrived('t3', digest('t3'));
    expect(done).toMatchObject([{ kind: 'accepted', root: 't0', tabs: ['t0', 't2', 't3'] }]);
    expect(step.done).toBe(false);
    step.sumArrived('t1', sumFor(['t1', 't4']));
    step.digestArrived('t1', digest('t1'));
    expect(step.digestArrived('t4', digest('t4'))).toMatchObject([{ kind: 'accepted', root: 't1' }]);
    expect(step.done).toBe(true);
  });

  it('rejects a forged sum and names the relays to quarantine', () => {
    const step = new TreeStep(tree, seed);
    step.sumArrived('t0', { ...sumFor(['t0', 't2']), count: 24 }); // dropped t3, kept the count
    step.digestArrived('t0', digest('t0'));
    step.digestArrived('t2', digest('t2'));
    const ev = step.digestArrived('t3', digest('t3'));
    expect(ev).toMatchObject([{ kind: 'rejected', root: 't0', tabs: ['t0', 't2', 't3'], relays: ['t0'] }]);
  });

  it('a relay that leaves mid-step voids its subtree (all its shards go back), the other subtree is untouched', () => {
    const step = new TreeStep(tree, seed);
    expect(step.tabGone('t0', 'closed')).toEqual([{ kind: 'void', root: 't0', tabs: ['t0', 't2', 't3'], reason: 't0 closed' }]);
    expect(step.sumArrived('t0', sumFor(['t0', 't2', 't3']))).toEqual([]); // too late: never counted
    step.sumArrived('t1', sumFor(['t1', 't4']));
    step.digestArrived('t1', digest('t1'));
    expect(step.digestArrived('t4', digest('t4'))).toMatchObject([{ kind: 'accepted', root: 't1' }]);
    expect(step.tabGone('t4', 'closed')).toEqual([]); // after acceptance: the sum stands
    expect(step.done).toBe(true);
  });

  it('a stalled subtree (no sum, or a digest missing, past its deadline on a fake clock) is void; one on time is untouched', () => {
    const step = new TreeStep(tree, seed);
    const deadline = (root: string): number => (root === 't0' ? 1000 : 2000);
    step.sumArrived('t1', sumFor(['t1', 't4']));
    step.digestArrived('t1', digest('t1'));
    expect(step.expire(1000, deadline)).toEqual([]);
    expect(step.expire(1001, deadline)).toEqual([{ kind: 'void', root: 't0', tabs: ['t0', 't2', 't3'], reason: 't0 stalled: its sum not in by the deadline' }]);
    expect(step.expire(2001, deadline)).toEqual([{ kind: 'void', root: 't1', tabs: ['t1', 't4'], reason: 't1 stalled: digests of t4 not in by the deadline' }]);
    expect(step.expire(9999, deadline)).toEqual([]);
    expect(step.done).toBe(true);
  });
});
