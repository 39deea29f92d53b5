import { describe, expect, it } from 'vitest';
import { CoverRelay } from '../../shared/p2p/coverRelay';
import { decodeTreeSum, encodeTreeSum, type CoveredSum } from '../../shared/p2p/treeSum';
import { decodeMessage, encodeRelayed, fp32Payload, MessageCode } from '../../shared/protocol';

/** A tab's relay in a training run: sums with the tasks they cover, a bounded wait, and the wire forms. */
const part = (peer: string, taskId: number, count: number, v: number): CoveredSum => ({
  sum: { step: 3, count, lossSum: count / 2, grad: Float32Array.of(v, 2 * v, -v) },
  covers: [{ peer, taskId, count, computeMs: 10 }],
});

describe('CoverRelay', () => {
  it('sends one sum naming every task once its own and both children are in (a child may come first)', () => {
    const up: CoveredSum[] = [];
    const r = new CoverRelay(3, ['b', 'c'], (s) => up.push(s));
    r.fromChild('c', part('p3', 13, 5, 3));
    r.own(part('p1', 11, 8, 1));
    expect(up).toHaveLength(0);
    r.fromChild('b', part('p2', 12, 6, 2));
    expect(up).toHaveLength(1);
    expect(up[0]!.sum.count).toBe(19);
    expect(up[0]!.sum.lossSum).toBe(9.5);
    expect([...up[0]!.sum.grad]).toEqual([6, 12, -6]);
    expect(up[0]!.covers.map((c) => c.taskId).sort()).toEqual([11, 12, 13]);
  });

  it('flush after the wait sends what is in, naming only those tasks; a child arriving later is refused', () => {
    const up: CoveredSum[] = [];
    const r = new CoverRelay(3, ['b', 'c'], (s) => up.push(s));
    r.flush(); // nothing of its own yet: nothing to send
    expect(up).toHaveLength(0);
    r.own(part('p1', 11, 8, 1));
    r.fromChild('b', part('p2', 12, 6, 2));
    r.flush();
    expect(up).toHaveLength(1);
    expect(up[0]!.covers.map((c) => c.peer)).toEqual(['p1', 'p2']);
    expect(up[0]!.sum.count).toBe(14);
    r.fromChild('c', part('p3', 13, 5, 3));
    expect(r.refused).toBe(1);
    expect(up).toHaveLength(1);
  });

  it('refuses a sum of another step, from a tab that is not its child, or twice from one child', () => {
    const r = new CoverRelay(3, ['b'], () => undefined);
    r.fromChild('x', part('p9', 19, 1, 1));
    r.fromChild('b', { ...part('p2', 12, 6, 2), sum: { ...part('p2', 12, 6, 2).sum, step: 2 } });
    r.fromChild('b', part('p2', 12, 6, 2));
    r.fromChild('b', part('p2', 12, 6, 2));
    expect(r.refused).toBe(3);
  });
});

describe('wire forms', () => {
  it('a tree sum round-trips with its task list, and one whose counts do not add up is refused', () => {
    const s = part('p1', 11, 8, 1.5);
    const back = decodeTreeSum(encodeTreeSum(s), 3);
    expect([...back.sum.grad]).toEqual([1.5, 3, -1.5]);
    expect(back.covers).toEqual(s.covers);
    const lie = encodeTreeSum({ ...s, covers: [{ ...s.covers[0]!, count: 9 }] });
    expect(() => decodeTreeSum(lie, 3)).toThrow(/8 samples says its tasks hold 9/);
  });

  it('RELAYED carries a GRAD at byte 8 and the covered tasks; decodeMessage checks they add up', () => {
    const g = { taskId: 11, step: 3, weightsVersion: 2, count: 14, computeMs: 7, lossSum: 1.25, grad: fp32Payload(Float32Array.of(1, 2)), state: new Float32Array(0) };
    const covers = [
      { peer: 'p1', taskId: 11, count: 8, computeMs: 7 },
      { peer: 'p2', taskId: 12, count: 6, computeMs: 9 },
    ];
    const frame = encodeRelayed(g, { covers });
    expect([...frame.subarray(0, 8)]).toEqual([0x0d, 0, 0, 0, 48 + 8, 0, 0, 0]);
    const m = decodeMessage(frame);
    expect(m.code).toBe(MessageCode.RELAYED);
    if (m.code !== MessageCode.RELAYED) return;
    expect(m.grad.count).toBe(14);
    expect(m.relayed.covers).toEqual(covers);
    expect(() => decodeMessage(encodeRelayed({ ...g, count: 15 }, { covers }))).toThrow(/covers 15 samples, its tasks add up to 14/);
    expect(() => decodeMessage(encodeRelayed({ ...g, taskId: 99 }, { covers }))).toThrow(/task 99, which is not among/);
  });
});
