import { describe, expect, it } from 'vitest';
import { chooseTree, depthOf, linkKey, subtreeOf, treeView } from '../../shared/p2p/tree';

const tabs = (n: number): string[] => Array.from({ length: n }, (_, i) => `t${i}`);

describe('reduction tree choice', () => {
  it('with fan-in 2 and 8 tabs: 2 roots, every tab at most 2 children, the k-ary heap layout', () => {
    const t = chooseTree({ tabs: tabs(8), fanIn: 2 });
    expect(t.roots).toEqual(['t0', 't1']);
    expect(Object.fromEntries(t.parent)).toEqual({ t0: null, t1: null, t2: 't0', t3: 't0', t4: 't1', t5: 't1', t6: 't2', t7: 't2' });
    expect(t.star).toEqual([]);
    expect(depthOf(t)).toBe(3);
    expect(subtreeOf(t, 't0').sort()).toEqual(['t0', 't2', 't3', 't6', 't7']);
  });

  it('the coordinator hears k sums instead of N: 4 tabs, k=2 -> 2 roots; 1 tab -> 1 root', () => {
    expect(chooseTree({ tabs: tabs(4), fanIn: 2 }).roots).toHaveLength(2);
    expect(chooseTree({ tabs: tabs(1), fanIn: 2 }).roots).toEqual(['t0']);
    expect(chooseTree({ tabs: [], fanIn: 2 }).roots).toEqual([]);
  });

  it('keeps tabs without a data channel on the star, and never lets a quarantined tab relay', () => {
    const t = chooseTree({ tabs: tabs(6), fanIn: 2, noChannel: new Set(['t1']), noRelay: new Set(['t0']) });
    expect(t.star).toEqual(['t1']);
    expect(t.children.get('t0')).toEqual([]);
    expect(t.roots).toEqual(['t0', 't2']);
    expect(t.parent.get('t3')).toBe('t2');
    expect(t.parent.get('t4')).toBe('t2');
    expect(t.parent.get('t5')).toBe('t3');
  });

  it('routes around a broken link, and puts a tab that can reach no one on the star', () => {
    const t = chooseTree({ tabs: tabs(3), fanIn: 1, brokenLinks: new Set([linkKey('t1', 't0')]) });
    expect(t.roots).toEqual(['t0']);
    expect(t.star).toEqual(['t1']);
    expect(t.parent.get('t2')).toBe('t0');
  });

  it('describes the tree for the dashboard: who relays for whom', () => {
    const v = treeView(chooseTree({ tabs: tabs(5), fanIn: 2, noChannel: new Set(['t4']) }));
    expect(v).toEqual({ fanIn: 2, roots: ['t0', 't1'], relays: { t0: ['t2', 't3'] }, star: ['t4'], depth: 2 });
  });

  it('refuses a fan-in below 1 and a tab listed twice', () => {
    expect(() => chooseTree({ tabs: tabs(2), fanIn: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => chooseTree({ tabs: ['a', 'a'], fanIn: 2 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
