import { describe, expect, it } from 'vitest';
import { P2pPlane } from '../../coordinator/p2p/plane';
import { RoundEngine, type Effect } from '../../coordinator/round/engine';
import { WorkLedger, type SendEffect } from '../../coordinator/round/ledger';
import { speedModel } from '../../coordinator/round/speed';
import { StepTimeline } from '../../coordinator/dashboard/timeline';
import { decodeMessage, MessageCode, fp32Payload, type Cover, type DigestBody, type GradFrame, type TreeBody } from '../../shared/protocol';
import { digestOf } from '../../shared/p2p/digest';

/**
 * The coordinator's side of `--p2p` against the real work ledger and round
 * engine, on a fake clock: 4 tabs of equal speed share a 32-sample step
 * (8 each); fan-in 2 puts p1 and p2 at the roots and p3, p4 under p1. Every
 * case checks what a user relies on: each shard is covered exactly once,
 * the step's sum holds exactly its samples, and missing parts are redone.
 */
const TABS = ['p1', 'p2', 'p3', 'p4'];

function setup() {
  let now = 0;
  const ledger = new WorkLedger();
  const engine = new RoundEngine(ledger);
  const sent: { peer: string; tree: TreeBody }[] = [];
  const added: number[] = [];
  const credited: Record<string, number> = {};
  let completed = 0;
  const later: SendEffect[] = [];
  /** Digests the tabs owe: a sum holding others' parts waits for them (digestGate.ts); honest tabs answer each REVEAL. */
  const owed: { peer: string; body: DigestBody }[] = [];
  const partOf = (peer: string): number => tasks.get(peer)!.indices.length;
  const plane = new P2pPlane(
    {
      ledger,
      engine,
      timeline: new StepTimeline(),
      now: () => now,
      log: () => undefined,
      send: (peer, frame) => {
        const m = decodeMessage(frame);
        if (m.code === MessageCode.TREE) sent.push({ peer, tree: m.body });
        if (m.code === MessageCode.REVEAL) owed.push({ peer, body: { ...m.body, digest: digestOf(new Float32Array(4).fill(partOf(peer)), partOf(peer), partOf(peer) / 8, m.body.seed) } });
      },
      perform: (effects: Effect[]) => {
        for (const e of effects) {
          if (e.type === 'complete') completed++;
          else later.push(e);
        }
      },
      check: (g) => new Float32Array(g.grad.bytes.buffer, g.grad.bytes.byteOffset, g.grad.length),
      accumulate: (_p, g) => void added.push(g.count),
      credit: (p, g) => void (credited[p] = (credited[p] ?? 0) + g.count),
      answered: () => undefined,
      seed: () => 0x5eed,
      quarantine: () => undefined,
    },
    { enabled: true, fanIn: 2, waitMs: 1000 },
  );
  for (const t of TABS) {
    ledger.addPeer(t, speedModel(100));
    plane.hello(t, { id: `${t}-rtc`, note: '', broken: [] });
  }
  const effects = engine.startRound({ kind: 'train', id: 1, version: 1, items: Uint32Array.from({ length: 32 }, (_, i) => i), epoch: 0 }, now);
  plane.beforeSend(effects);
  const tasks = new Map((effects.filter((e) => e.type === 'send') as SendEffect[]).map((e) => [e.peerId, e]));
  const grad = (taskId: number, count: number): GradFrame => ({ taskId, step: 1, weightsVersion: 1, count, computeMs: 5, lossSum: count / 8, grad: fp32Payload(new Float32Array(4).fill(count)), state: new Float32Array(0) });
  const cover = (peer: string): Cover => ({ peer, taskId: tasks.get(peer)!.taskId, count: tasks.get(peer)!.indices.length, computeMs: 5 });
  const relayed = (from: string, peers: string[]): void => {
    const covers = peers.map(cover);
    plane.onRelayed(from, grad(tasks.get(from)!.taskId, covers.reduce((a, c) => a + c.count, 0)), { covers });
    for (const o of owed.splice(0)) plane.onDigest(o.peer, o.body);
  };
  /** A star result (the round engine's own path, as run/results.ts takes it). */
  const star = (peer: string, taskId = tasks.get(peer)!.taskId): void => {
    const r = engine.result(peer, taskId, now);
    if (r.verdict === 'accepted') added.push(ledger.lookup(peer, taskId)?.shard.end! - ledger.lookup(peer, taskId)?.shard.start!);
    for (const e of r.effects) if (e.type === 'complete') completed++;
  };
  const tick = (to: number): void => {
    now = to;
    ledger.noteLate(now);
    for (const e of engine.assign(now)) if (e.type === 'send') later.push(e);
  };
  return { plane, ledger, engine, sent, added, credited, tasks, relayed, star, tick, later, owed, cover, grad, completed: () => completed };
}

describe('P2pPlane: a sync step over a reduction tree', () => {
  it('plans the tree when the step goes out: p1 relays p3 and p4, each told its parent, children and a wait before the deadline', () => {
    const s = setup();
    expect(s.tasks.size).toBe(4);
    const byPeer = new Map(s.sent.map((x) => [x.peer, x.tree]));
    expect([...byPeer.keys()].sort()).toEqual(['p1', 'p3', 'p4']); // p2, a root with no children, stays on the plain star path
    expect(byPeer.get('p1')).toMatchObject({ step: 1, taskId: s.tasks.get('p1')!.taskId, parent: null, children: ['p3-rtc', 'p4-rtc'] });
    expect(byPeer.get('p3')).toMatchObject({ parent: 'p1-rtc', children: [] });
    // the root sends one margin (1000 ms) before the earliest deadline, its children two
    const deadline = s.ledger.lookup('p1', s.tasks.get('p1')!.taskId)!.attempt.deadline;
    expect(byPeer.get('p1')!.waitMs).toBe(deadline - 1000);
    expect(byPeer.get('p3')!.waitMs).toBe(deadline - 2000);
  });

  it('a relayed sum covers its subtree once: the step completes with 2 sums instead of 4 and every tab credited its own part', () => {
    const s = setup();
    s.relayed('p1', ['p1', 'p3', 'p4']);
    expect(s.completed()).toBe(0);
    s.star('p2');
    expect(s.completed()).toBe(1);
    expect(s.added).toEqual([24, 8]);
    expect(s.credited).toEqual({ p1: 8, p3: 8, p4: 8 });
    expect(s.plane.relayed).toEqual({ accepted: 1, dropped: 0, stale: 0 });
    expect(s.ledger.counters.duplicatesDropped).toBe(0);
  });

  it('a relay that gave up on a child: the sum counts for the tabs it names, the child’s shard goes out again at once', () => {
    const s = setup();
    s.relayed('p1', ['p1', 'p4']);
    s.star('p2');
    expect(s.completed()).toBe(0);
    // p3's 8 samples were handed out again right away (not at its deadline), to idle tabs
    const redo = s.later.filter((e) => e.type === 'send');
    expect(redo.reduce((a, e) => a + e.indices.length, 0)).toBe(8);
    for (const e of redo) s.star(e.peerId, e.taskId);
    expect(s.completed()).toBe(1);
    expect(s.added.reduce((a, b) => a + b, 0)).toBe(32);
    // p3's own sum, late (its parent gone, it goes to the coordinator itself), counts for nothing
    s.relayed('p3', ['p3']);
    expect(s.plane.relayed.dropped).toBe(1);
    expect(s.added.reduce((a, b) => a + b, 0)).toBe(32);
  });

  it('a sum naming a shard a backup already covered is dropped whole; its other shards are redone, each once', () => {
    const s = setup();
    s.tick(1e6); // every deadline passed: backups of the 4 shards go out
    const backup = s.later.find((e) => e.backup && s.ledger.lookup(e.peerId, e.taskId)!.shard === s.ledger.lookup('p3', s.tasks.get('p3')!.taskId)!.shard);
    if (backup) s.star(backup.peerId, backup.taskId);
    else s.star('p3'); // no idle tab for a backup: p3's own copy over the star covers it first
    s.relayed('p1', ['p1', 'p3', 'p4']);
    expect(s.plane.relayed.dropped).toBe(1);
    expect(s.added.reduce((a, b) => a + b, 0)).toBe(8);
    for (const peer of ['p1', 'p4']) expect(s.ledger.lookup(peer, s.tasks.get(peer)!.taskId)!.shard.done).toBe(false);
  });

  it('refuses a sum that lies about its tasks: a wrong sample count, or a tab outside the sender’s subtree', () => {
    const s = setup();
    const c = { peer: 'p1', taskId: s.tasks.get('p1')!.taskId, count: 9, computeMs: 1 };
    const g: GradFrame = { taskId: c.taskId, step: 1, weightsVersion: 1, count: 9, computeMs: 1, lossSum: 0, grad: fp32Payload(new Float32Array(4)), state: new Float32Array(0) };
    expect(() => s.plane.onRelayed('p1', g, { covers: [c] })).toThrow(/covers 9 samples; it has 8/);
    expect(() => s.relayed('p3', ['p3', 'p2'])).toThrow(/names p2, which is not in its subtree/);
    expect(s.added).toEqual([]);
  });

  it('a sum holding other tabs’ parts waits for their digests; a tab that leaves first makes it drop whole, the others’ shards go out again', () => {
    const s = setup();
    const covers = ['p1', 'p3', 'p4'].map(s.cover);
    s.plane.onRelayed('p1', s.grad(s.tasks.get('p1')!.taskId, 24), { covers });
    expect(s.owed.map((o) => o.peer)).toEqual(['p1', 'p3', 'p4']); // each named tab got the seed
    expect(s.added).toEqual([]); // nothing counted before the digests
    s.plane.onDigest('p1', s.owed[0]!.body);
    s.plane.onDigest('p3', { ...s.owed[1]!.body, seed: 1 }); // a digest with another seed is not one for this sum
    expect(s.plane.view().digests).toEqual({ passed: 0, failed: 0, waiting: 1 });
    s.plane.gone('p4');
    expect(s.plane.view().digests.waiting).toBe(0);
    expect(s.added).toEqual([]);
    for (const peer of ['p1', 'p3']) expect(s.ledger.lookup(peer, s.tasks.get(peer)!.taskId)!.attempt.live).toBe(false);
    s.plane.onDigest('p4', s.owed[2]!.body); // too late: nothing held
    expect(s.added).toEqual([]);
  });

  it('a relay that leaves mid-step: its children’s shards go out again at once (not at the deadline); a child’s late sum on the star is dropped, never counted twice', () => {
    const s = setup();
    s.plane.gone('p1');
    s.ledger.removePeer('p1'); // as the run does right after
    for (const peer of ['p3', 'p4']) expect(s.ledger.lookup(peer, s.tasks.get(peer)!.taskId)!.attempt.live).toBe(false);
    s.relayed('p3', ['p3']); // its parent gone, p3 sends its own sum itself
    expect(s.plane.relayed.dropped).toBe(1);
    expect(s.added).toEqual([]);
  });

  it('counts gradient bytes into the coordinator against the step that is out', () => {
    const s = setup();
    s.plane.countIn(1000);
    s.plane.countIn(500);
    expect(s.plane.view().recent.at(-1)).toMatchObject({ step: 1, bytes: 1500, frames: 2, tree: 4, star: 0 });
  });

  it('a data channel that did not open keeps that child from that parent for 2 steps, then is tried again', () => {
    const s = setup();
    s.plane.hello('p3', { id: 'p3-rtc', note: 'a data channel did not open', broken: ['p1-rtc'] });
    expect(s.plane.view().broken).toEqual(['p3>p1']);
    const parentOf = (step: number): string | null | undefined => {
      s.sent.length = 0;
      const sends: Effect[] = TABS.map((peer, i) => ({ type: 'send', kind: 'train', peerId: peer, taskId: 100 * step + i + 1, roundId: step, version: step, indices: Uint32Array.of(i), backup: false }) as SendEffect);
      s.plane.beforeSend(sends);
      return s.sent.find((x) => x.peer === 'p3')?.tree.parent;
    };
    expect(parentOf(2)).not.toBe('p1-rtc');
    expect(parentOf(3)).not.toBe('p1-rtc');
    expect(parentOf(4)).toBe('p1-rtc');
    expect(s.plane.view().broken).toEqual([]);
  });
});
