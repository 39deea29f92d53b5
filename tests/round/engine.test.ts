import { describe, expect, it } from 'vitest';
import { EVAL_MIN_SHARD, RoundEngine, RoundStage, type Effect } from '../../coordinator/round/engine';
import { observe, speedModel } from '../../coordinator/round/speed';
import { proportionalSizes } from '../../coordinator/round/split';

type Send = Extract<Effect, { type: 'send' }>;
const sends = (es: Effect[]): Send[] => es.filter((e): e is Send => e.type === 'send');
const completes = (es: Effect[]): boolean => es.some((e) => e.type === 'complete');
const items = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => 1000 + i);

/** Every item of the round covered exactly once by the accepted shards. */
function covered(accepted: Send[]): number[] {
  return accepted.flatMap((s) => Array.from(s.indices)).sort((a, b) => a - b);
}

describe('proportionalSizes', () => {
  it('sums to n and follows the weights', () => {
    expect(proportionalSizes(10, [1, 1])).toEqual([5, 5]);
    expect(proportionalSizes(10, [3, 1])).toEqual([8, 2]); // 7.5 / 2.5: tie broken by index
    expect(proportionalSizes(7, [1, 1, 1])).toEqual([3, 2, 2]);
    expect(proportionalSizes(5, [0, 0])).toEqual([3, 2]); // no measurement yet: equal shares
    expect(proportionalSizes(128, [100, 300, 50]).reduce((a, b) => a + b)).toBe(128);
  });
});

describe('RoundEngine', () => {
  it('cuts the round by measured speed and completes when every shard is in', () => {
    const e = new RoundEngine();
    e.peerReady('a', 100, 0);
    e.peerReady('b', 300, 0);
    const out = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(8) }, 0));
    expect(out.map((s) => [s.peerId, s.indices.length])).toEqual([['b', 6], ['a', 2]]);
    expect(e.result('b', out[0]!.taskId, 10).verdict).toBe('accepted');
    const last = e.result('a', out[1]!.taskId, 20);
    expect(last.verdict).toBe('accepted');
    expect(completes(last.effects)).toBe(true);
    expect(covered(out)).toEqual(Array.from(items(8)));
  });

  it('step after step, the same peers get the same shard sizes while their measured speeds wobble', () => {
    const e = new RoundEngine();
    const speed = { a: speedModel(1000, 10), b: speedModel(1000, 10), c: speedModel(1000, 10) };
    for (const p of ['a', 'b', 'c'] as const) e.peerReady(p, speed[p], 0);
    const seen: string[] = [];
    for (let step = 0; step < 12; step++) {
      const out = sends(e.startRound({ kind: 'train', id: step, version: step, items: items(128) }, step * 100));
      seen.push(out.map((s) => `${s.peerId}:${s.indices.length}`).sort().join(' '));
      out.forEach((s, i) => {
        // Measured times wobble by up to ±8% around the same speed.
        const wobble = 1 + 0.08 * Math.sin(7 * step + 3 * i);
        speed[s.peerId as 'a'] = observe(speed[s.peerId as 'a'], s.indices.length, (10 + s.indices.length) * wobble);
        e.updateSpeed(s.peerId, speed[s.peerId as 'a']);
        e.result(s.peerId, s.taskId, step * 100 + 50);
      });
    }
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toBe('a:43 b:43 c:42');
  });

  it('a peer gone silent has its shard copied to an idle peer at once, long before its deadline; the first copy in wins', () => {
    const e = new RoundEngine({ deadlineFloorMs: 60_000, deadlineSlack: 3 });
    for (const p of ['a', 'b', 'c']) e.peerReady(p, 1000, 0);
    const out = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(9) }, 0));
    const byPeer = Object.fromEntries(out.map((s) => [s.peerId, s]));
    e.result('a', byPeer.a!.taskId, 10);
    e.result('b', byPeer.b!.taskId, 12);
    expect(e.tick(20).length).toBe(0); // c's deadline is a minute away
    // The heartbeat suspects c at 800 ms: its attempt is due now, and the next tick sends a backup to an idle peer.
    expect(e.ledger.expire('c', 800)).toBe(1);
    const backup = sends(e.tick(800));
    expect(backup).toHaveLength(1);
    expect(['a', 'b']).toContain(backup[0]!.peerId);
    expect(Array.from(backup[0]!.indices)).toEqual(Array.from(byPeer.c!.indices));
    const fin = e.result(backup[0]!.peerId, backup[0]!.taskId, 900);
    expect(fin.verdict).toBe('accepted');
    expect(completes(fin.effects)).toBe(true);
    // The silent peer's own copy, if it ever comes, is a duplicate: nothing counted twice.
    expect(e.result('c', byPeer.c!.taskId, 950).verdict).not.toBe('accepted');
    expect(covered(out)).toEqual(Array.from(items(9)));
    expect(e.ledger.expire('c', 1000)).toBe(0);
  });

  it('gives a departed peer’s shard to the others; exactly-once coverage', () => {
    const e = new RoundEngine();
    for (const p of ['a', 'b', 'c']) e.peerReady(p, 100, 0);
    const out = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(9) }, 0));
    const [sa, sb, sc] = out;
    expect(e.result('a', sa!.taskId, 5).verdict).toBe('accepted');
    // b leaves mid-step: its 3 items go to the idle peer a.
    const re = sends(e.peerGone('b', 6));
    expect(re).toHaveLength(1);
    expect(re[0]!.peerId).toBe('a');
    expect(Array.from(re[0]!.indices)).toEqual(Array.from(sb!.indices));
    expect(e.counters.reassigned).toBe(1);
    e.result('c', sc!.taskId, 7);
    const fin = e.result('a', re[0]!.taskId, 8);
    expect(completes(fin.effects)).toBe(true);
    expect(covered([sa!, re[0]!, sc!])).toEqual(Array.from(items(9)));
  });

  it('a late shard gets a backup copy; the first copy in wins, the second is a duplicate', () => {
    const e = new RoundEngine({ deadlineFloorMs: 100, deadlineSlack: 2 });
    e.peerReady('fast', 1000, 0);
    e.peerReady('slow', 1000, 0);
    const [f, s] = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(20) }, 0));
    e.result('fast', f!.taskId, 10);
    // slow's deadline: 0 + 100 + 2 * (10 / 1000 s) = 120 ms.
    expect(e.nextDeadline(10)).toBe(120);
    expect(sends(e.tick(119))).toHaveLength(0);
    const backup = sends(e.tick(121));
    expect(backup).toHaveLength(1);
    expect(backup[0]).toMatchObject({ peerId: 'fast', backup: true });
    const first = e.result('fast', backup[0]!.taskId, 130);
    expect(first.verdict).toBe('accepted');
    expect(completes(first.effects)).toBe(true);
    expect(e.result('slow', s!.taskId, 140).verdict).toBe('duplicate'); // its shard was covered by the backup
    expect(e.counters).toMatchObject({ reassigned: 1, duplicatesDropped: 1 });
    e.startRound({ kind: 'train', id: 1, version: 1, items: items(4) }, 150);
    expect(e.result('slow', s!.taskId, 160).verdict).toBe('stale'); // and now its round is closed
    expect(e.counters.lateDropped).toBe(1);
  });

  it('a duplicate within the round is dropped and counted', () => {
    const e = new RoundEngine({ deadlineFloorMs: 10, deadlineSlack: 1 });
    e.peerReady('a', 1000, 0);
    e.peerReady('b', 1000, 0);
    e.peerReady('c', 1000, 0);
    const [sa, sb, sc] = sends(e.startRound({ kind: 'train', id: 1, version: 0, items: items(30) }, 0));
    e.result('a', sa!.taskId, 5);
    const backup = sends(e.tick(100));
    expect(backup.map((b) => b.peerId)).toEqual(['a']); // only a is idle; one backup for b or c
    e.result(backup[0]!.peerId, backup[0]!.taskId, 110);
    const orig = backup[0]!.indices[0] === sb!.indices[0] ? sb! : sc!;
    expect(e.result(orig.peerId, orig.taskId, 120).verdict).toBe('duplicate');
    expect(e.counters.duplicatesDropped).toBe(1);
  });

  it('an evaluation pass goes to as many of the fastest peers as keep each shard at least EVAL_MIN_SHARD samples', () => {
    const fleet = (checks: boolean): RoundEngine => {
      const e = new RoundEngine({ deadlineFloorMs: 10, deadlineSlack: 1 });
      if (checks) e.evalMinShard = 0;
      for (let i = 0; i < 16; i++) e.peerReady(`p${String(i).padStart(2, '0')}`, 100 + i, 0);
      return e;
    };
    // A 1000-sample validation pass on a class of 16: 3 shards (each carries the float32 weights), to the 3 fastest.
    const e = fleet(false);
    const val = sends(e.startRound({ kind: 'eval', id: 1, version: 0, items: items(1000) }, 0));
    expect(val.map((s) => s.peerId).sort()).toEqual(['p13', 'p14', 'p15']);
    expect(val.every((s) => s.indices.length >= EVAL_MIN_SHARD)).toBe(true);
    expect(covered(val)).toEqual(Array.from(items(1000)));
    // One of them leaves: its shard goes to an idle peer, whole; the pass completes with every sample once.
    const redo = sends(e.peerGone('p15', 5));
    expect(redo).toHaveLength(1);
    expect(redo[0]!.indices).toEqual(val.find((s) => s.peerId === 'p15')!.indices);
    const done = [...val.filter((s) => s.peerId !== 'p15'), ...redo];
    const results = done.map((s, i) => e.result(s.peerId, s.taskId, 10 + i));
    expect(results.every((r) => r.verdict === 'accepted')).toBe(true);
    expect(completes(results.at(-1)!.effects)).toBe(true);
    // A pass of 10,000 still uses all 16; training rounds are cut across every idle peer whatever their size.
    expect(sends(fleet(false).startRound({ kind: 'eval', id: 2, version: 0, items: items(10_000) }, 0))).toHaveLength(16);
    expect(sends(fleet(false).startRound({ kind: 'train', id: 0, version: 0, items: items(128) }, 0))).toHaveLength(16);
    // With spot checks on, every peer evaluates: an evaluation shard is how a lying peer is caught.
    expect(sends(fleet(true).startRound({ kind: 'eval', id: 3, version: 0, items: items(1000) }, 0))).toHaveLength(16);
  });

  it('with every peer gone the round starves, and resumes when one joins', () => {
    const e = new RoundEngine();
    e.peerReady('a', 100, 0);
    sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(4) }, 0));
    expect(sends(e.peerGone('a', 1))).toHaveLength(0);
    expect(e.stage).toBe(RoundStage.STARVED);
    const back = sends(e.peerReady('z', 50, 2));
    expect(back).toHaveLength(1);
    expect(back[0]!.indices.length).toBe(4);
    expect(completes(e.result('z', back[0]!.taskId, 3).effects)).toBe(true);
  });

  it('a pending shard is split across several idle peers', () => {
    const e = new RoundEngine();
    e.peerReady('a', 100, 0);
    const [sa] = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(12) }, 0));
    e.peerReady('b', 100, 1);
    e.peerReady('c', 200, 1);
    const re = sends(e.peerGone('a', 2));
    expect(re.map((s) => [s.peerId, s.indices.length])).toEqual([['c', 8], ['b', 4]]);
    expect(covered(re)).toEqual(Array.from(sa!.indices).sort((x, y) => x - y));
  });

  it('a failed result (bad gradient) puts the shard back', () => {
    const e = new RoundEngine();
    e.peerReady('a', 100, 0);
    e.peerReady('b', 100, 0);
    const [sa, sb] = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(4) }, 0));
    e.result('b', sb!.taskId, 1);
    const again = sends(e.failed('a', sa!.taskId, 2));
    expect(again).toHaveLength(1);
    expect(Array.from(again[0]!.indices)).toEqual(Array.from(sa!.indices));
  });

  it('unknown task ids are neither accepted nor counted', () => {
    const e = new RoundEngine();
    e.peerReady('a', 100, 0);
    e.startRound({ kind: 'train', id: 0, version: 0, items: items(2) }, 0);
    expect(e.result('a', 9999, 1).verdict).toBe('unknown');
    expect(e.counters).toEqual({ duplicatesDropped: 0, lateDropped: 0, reassigned: 0 });
  });
});
