import { describe, expect, it } from 'vitest';
import { RoundEngine, type Effect } from '../../coordinator/round/engine';

type Send = Extract<Effect, { type: 'send' }>;
const sends = (es: Effect[]): Send[] => es.filter((e): e is Send => e.type === 'send');
const items = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

/** What checkpoints and async training need from the engine. */
describe('RoundEngine for checkpoints and async mode', () => {
  it('continues task ids after a restart and never reuses one', () => {
    const e = new RoundEngine();
    e.continueTaskIds(500);
    expect(e.allocateTaskId()).toBe(500);
    e.continueTaskIds(10); // never goes back
    e.peerReady('a', 100, 0);
    const out = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(4) }, 0));
    expect(out[0]!.taskId).toBe(501);
    expect(e.taskIdCursor).toBe(502);
    // A task id issued before the restart (now unknown) is counted as late, not accepted.
    expect(e.result('a', 499, 1).verdict).toBe('stale');
  });

  it('knows which peer covered which shards of the round under way', () => {
    const e = new RoundEngine();
    e.peerReady('a', 100, 0);
    e.peerReady('b', 300, 0);
    const out = sends(e.startRound({ kind: 'train', id: 0, version: 0, items: items(8) }, 0));
    expect(e.acceptedInRound().size).toBe(0);
    const b = out.find((s) => s.peerId === 'b')!;
    e.result('b', b.taskId, 5);
    expect([...e.acceptedInRound()]).toEqual([['b', { samples: b.indices.length, shards: 1 }]]);
  });
});
