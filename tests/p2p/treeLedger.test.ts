import { describe, expect, it } from 'vitest';
import { applyTreeEvent } from '../../coordinator/p2p/treeLedger';
import { TreeStep, type TreeStepEvent } from '../../coordinator/p2p/treeStep';
import { WorkLedger } from '../../coordinator/round/ledger';
import { speedModel } from '../../coordinator/round/speed';
import type { Shard, WorkUnit } from '../../coordinator/round/work';
import { digestOf } from '../../shared/p2p/digest';
import { chooseTree } from '../../shared/p2p/tree';

/**
 * A sync step over a reduction tree against the real work ledger: 5 tabs,
 * fan-in 2 (roots t0 and t1; t0 relays t2 and t3, t1 relays t4), 40 samples
 * in 5 shards of 8. Whatever happens, every shard is covered exactly once
 * and the step's sample count is 40.
 */
const TABS = ['t0', 't1', 't2', 't3', 't4'];
const SEED = 99;
const own = (tab: string): Float32Array => Float32Array.from({ length: 32 }, (_, j) => Math.cos(Number(tab.slice(1)) * 32 + j));
const digest = (tab: string) => digestOf(own(tab), 8, 1, SEED);
function sumFor(tabs: string[]): { grad: Float32Array; count: number; lossSum: number } {
  const grad = new Float32Array(32);
  for (const t of tabs) own(t).forEach((v, j) => (grad[j] = grad[j]! + v));
  return { grad, count: 8 * tabs.length, lossSum: tabs.length };
}

function setup() {
  const ledger = new WorkLedger();
  for (const t of TABS) ledger.addPeer(t, speedModel(100));
  const unit: WorkUnit = { kind: 'train', id: 1, version: 1, items: Uint32Array.from({ length: 40 }, (_, i) => i), epoch: 0, closed: false };
  const shards: Shard[] = TABS.map((_, i) => ({ unit, start: 8 * i, end: 8 * (i + 1), done: false, orphaned: false, attempts: [] }));
  const taskOf = new Map(TABS.map((t, i) => [t, ledger.issue(t, shards[i]!, 0, false).taskId]));
  const step = new TreeStep(chooseTree({ tabs: TABS, fanIn: 2 }), SEED);
  let samples = 0;
  let sums = 0;
  const reassign: Shard[] = [];
  const quarantined: string[] = [];
  const apply = (events: TreeStepEvent[]): void => {
    for (const ev of events) {
      const r = applyTreeEvent(ledger, ev, taskOf);
      if (r.addSum && ev.kind === 'accepted') {
        samples += ev.sum.count;
        sums++;
      }
      reassign.push(...r.reassign);
      quarantined.push(...r.quarantined);
    }
  };
  /** The subtree's sum, then every digest. */
  const deliver = (root: string, tabs: string[], sum = sumFor(tabs)): void => {
    apply(step.sumArrived(root, sum));
    for (const t of tabs) apply(step.digestArrived(t, digest(t)));
  };
  /** A star peer computes a shard handed out again (as the round's policy would). */
  const redo = (shard: Shard, peer: string): void => {
    const task = ledger.issue(peer, shard, 1, false);
    const { verdict, shard: s } = ledger.judge(peer, task.taskId);
    expect(verdict).toBe('accepted');
    ledger.cover(s!, peer);
    samples += shard.end - shard.start;
  };
  return { ledger, shards, step, apply, deliver, redo, reassign, quarantined, get samples() { return samples; }, get sums() { return sums; } };
}

describe('tree step x work ledger: exactly-once accounting', () => {
  it('two relayed sums cover all five shards; the coordinator received 2 sums, not 5', () => {
    const s = setup();
    s.deliver('t0', ['t0', 't2', 't3']);
    s.deliver('t1', ['t1', 't4']);
    expect(s.sums).toBe(2);
    expect(s.samples).toBe(40);
    expect(s.shards.map((x) => [x.done, x.winner])).toEqual(TABS.map((t) => [true, t]));
    expect(s.ledger.counters).toEqual({ duplicatesDropped: 0, lateDropped: 0, reassigned: 0 });
  });

  it('a relay closed mid-step: its subtree is void, its three shards are redone on the star, its late sum never counts', () => {
    const s = setup();
    const lost = s.ledger.removePeer('t0');
    s.apply(s.step.tabGone('t0', 'closed its tab'));
    const again = [...new Set([...lost, ...s.reassign])];
    expect(again.map((x) => x.start).sort((a, b) => a - b)).toEqual([0, 16, 24]);
    s.deliver('t0', ['t0', 't2', 't3']); // arrives anyway: ignored
    s.deliver('t1', ['t1', 't4']);
    for (const shard of again) s.redo(shard, 't2');
    expect(s.samples).toBe(40);
    expect(s.shards.every((x) => x.done)).toBe(true);
    expect(s.step.done).toBe(true);
    expect(s.ledger.counters.duplicatesDropped).toBe(0);
  });

  it('a forged sum is rejected: its relay is quarantined, its leaves are not, the subtree is redone', () => {
    const s = setup();
    s.deliver('t0', ['t0', 't2', 't3'], { ...sumFor(['t0', 't2']), count: 24 });
    s.deliver('t1', ['t1', 't4']);
    expect(s.quarantined).toEqual(['t0']);
    expect(s.ledger.idlePeers()).not.toContain('t0');
    expect(s.ledger.idlePeers()).toEqual(expect.arrayContaining(['t2', 't3']));
    expect(s.reassign.map((x) => x.start).sort((a, b) => a - b)).toEqual([0, 16, 24]);
    for (const shard of s.reassign) s.redo(shard, 't4');
    expect(s.samples).toBe(40);
    expect(s.shards.every((x) => x.done)).toBe(true);
  });

  it('a subtree one of whose shards a backup already covered is dropped whole, never half-counted', () => {
    const s = setup();
    s.redo(s.shards[2]!, 't1'); // t2's shard, covered by a backup on the star first
    s.deliver('t0', ['t0', 't2', 't3']);
    s.deliver('t1', ['t1', 't4']);
    expect(s.sums).toBe(1);
    expect(s.reassign.map((x) => x.start).sort((a, b) => a - b)).toEqual([0, 24]);
    for (const shard of s.reassign) s.redo(shard, 't4');
    expect(s.samples).toBe(40);
    expect(s.shards.every((x) => x.done)).toBe(true);
  });
});
