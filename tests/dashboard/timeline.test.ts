import { describe, expect, it } from 'vitest';
import { StepTimeline } from '../../coordinator/dashboard/timeline';

const send = (t: StepTimeline, round: number, taskId: number, peerId: string, at: number, kind: 'train' | 'eval' = 'train'): void =>
  t.sent({ kind, roundId: round, taskId, peerId, size: 10, backup: false }, at);

describe('StepTimeline', () => {
  it('cuts a step into compute, transfer, waiting and update that add up to its wall time', () => {
    const t = new StepTimeline();
    send(t, 0, 1, 'a', 100);
    send(t, 0, 2, 'b', 100);
    expect(t.busy('a')).toBe(true);
    t.returned('a', 1, 150, 30, 'accepted'); // arrives after 50 ms, 30 of them computing
    t.returned('b', 2, 250, 100, 'accepted'); // the straggler: 150 ms, 100 computing
    expect(t.busy('a')).toBe(false);
    const b = t.stepDone(0, 1, 100, 250, 260);
    expect(b).toEqual({ step: 1, computeMs: 65, transferMs: 35, waitMs: 50, updateMs: 10, shards: 2 });
    expect(b.computeMs + b.transferMs + b.waitMs + b.updateMs).toBe(250 - 100 + 10);
  });

  it('ignores dropped copies in the breakdown and keeps only the last rounds of bars', () => {
    const t = new StepTimeline(3);
    send(t, 0, 1, 'a', 0);
    send(t, 0, 2, 'b', 5); // a backup copy of the same shard
    t.returned('a', 1, 40, 20, 'accepted');
    t.returned('b', 2, 90, 20, 'duplicate');
    expect(t.stepDone(0, 1, 0, 40, 41).shards).toBe(1);
    for (let r = 1; r <= 5; r++) send(t, r, 10 + r, 'a', 100 * r);
    send(t, 1, 99, 'c', 600, 'eval');
    expect(new Set(t.bars.map((b) => `${b.kind}${b.round}`))).toEqual(new Set(['train4', 'train5', 'eval1']));
    // A pruned bar that never came back no longer counts as work out.
    expect(t.busy('a')).toBe(true);
    t.returned('a', 15, 700, 10, 'accepted');
    t.returned('a', 14, 700, 10, 'accepted');
    expect(t.busy('a')).toBe(false);
  });
});
