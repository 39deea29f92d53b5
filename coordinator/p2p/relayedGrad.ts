import { fail } from '../../shared/errors';
import type { Cover, GradFrame } from '../../shared/protocol';
import type { Effect, RoundEngine } from '../round/engine';
import type { Shard, WorkLedger } from '../round/ledger';
import type { StepTimeline } from '../dashboard/timeline';

/**
 * A subtree's sum (RELAYED) into the ledger, by the star's rules:
 *
 * - every task it names must be an open training task of the named tab, of
 *   the step and weights version the GRAD names, with that many samples;
 *   otherwise the sender lied (TabtrainError: the server closes that tab,
 *   its shards go to others);
 * - the sum cannot be split, so it counts only if NONE of its shards is
 *   covered yet (by a backup copy, say) and every task is still live (not
 *   given back, whose shard may have been cut and handed out again): then each shard is covered once,
 *   the sum goes into the step's accumulators once, and every tab is
 *   credited with its own part. Otherwise it is dropped whole (duplicates
 *   counted) and its still-open shards are handed out again.
 * - tasks of the sender's subtree that the sum does not name (a child the
 *   relay gave up waiting for) are handed out again at once.
 */
export interface RelayedHost {
  readonly ledger: WorkLedger;
  readonly engine: RoundEngine;
  readonly timeline: StepTimeline;
  now(): number;
  perform(effects: Effect[]): void;
  /** Checks lengths and finiteness (run/gradCheck.ts) and decodes the sum; throws on a bad one. */
  check(g: GradFrame): Float32Array;
  /** The checked sum into the step's accumulators (once) . */
  accumulate(peerId: string, g: GradFrame, grad: Float32Array): void;
  /** A tab's own part: its counters and cost model. */
  credit(peerId: string, g: GradFrame): void;
  answered(peerId: string, taskId: number): void;
}

export type RelayedOutcome = 'accepted' | 'dropped' | 'stale';

export function acceptRelayed(host: RelayedHost, g: GradFrame, covers: readonly Cover[], missing: readonly { peer: string; taskId: number }[]): RelayedOutcome {
  if (allStale(host, covers)) return 'stale';
  checkCovers(host, g, covers);
  return applyRelayed(host, g, host.check(g), covers, missing);
}

/** No task the sum names is known any more (its step is over): judged as late, nothing counted. */
export function allStale(host: RelayedHost, covers: readonly Cover[]): boolean {
  const { ledger } = host;
  if (covers.some((c) => ledger.lookup(c.peer, c.taskId) !== null)) return false;
  for (const c of covers) ledger.judge(c.peer, c.taskId); // counted as late
  host.perform(host.engine.assign(host.now()));
  return true;
}

/** Every task the sum names that is still known must be that tab's training task of this step and version, with its sample count; else the sender lied (throws). */
export function checkCovers(host: RelayedHost, g: GradFrame, covers: readonly Cover[]): void {
  for (const c of covers) {
    const t = host.ledger.lookup(c.peer, c.taskId);
    if (!t) continue;
    const a = t.attempt;
    if (t.shard.unit.kind !== 'train' || a.round !== g.step || a.version !== g.weightsVersion) {
      throw fail('GRAD_UNKNOWN_TASK', `relayed sum names task ${c.taskId} of ${c.peer} as step ${g.step} on weights ${g.weightsVersion}; it was step ${a.round} on weights ${a.version}`, 1008);
    }
    if (t.shard.end - t.shard.start !== c.count) throw fail('GRAD_WRONG_LENGTH', `relayed sum says task ${c.taskId} covers ${c.count} samples; it has ${t.shard.end - t.shard.start}`, 1008);
  }
}

/** A checked sum into the ledger: counted once if every task it names is open and live, else dropped whole and its shards handed out again. */
export function applyRelayed(host: RelayedHost, g: GradFrame, grad: Float32Array, covers: readonly Cover[], missing: readonly { peer: string; taskId: number }[]): RelayedOutcome {
  const { ledger } = host;
  const now = host.now();
  const found = covers.map((c) => ({ c, t: ledger.lookup(c.peer, c.taskId) }));
  // A task whose attempt ended (its shard was given back, or its tab left) may have been cut and redone: never count it.
  const open = found.every((f) => f.t !== null && f.t.attempt.live && !f.t.shard.done);
  const shards: Shard[] = [];
  for (const c of covers) {
    host.answered(c.peer, c.taskId);
    const { verdict, shard } = ledger.judge(c.peer, c.taskId);
    host.timeline.returned(c.peer, c.taskId, now, c.computeMs, open ? verdict : verdict === 'accepted' ? 'duplicate' : verdict);
    if (shard && verdict === 'accepted') shards.push(shard);
  }
  if (open) {
    covers.forEach((c, i) => {
      ledger.cover(shards[i]!, c.peer);
      host.credit(c.peer, { ...g, taskId: c.taskId, count: c.count, computeMs: c.computeMs });
    });
    host.accumulate(covers[0]!.peer, g, grad);
  } else {
    for (const s of shards) ledger.release(s);
  }
  giveBack(ledger, missing);
  host.perform(host.engine.covered(now));
  return open ? 'accepted' : 'dropped';
}

/** Tasks a relay gave up on: their tabs' work never reaches us, so their shards go out again now. */
export function giveBack(ledger: WorkLedger, missing: readonly { peer: string; taskId: number }[]): number {
  let n = 0;
  for (const m of missing) {
    const t = ledger.lookup(m.peer, m.taskId);
    if (!t || t.shard.done || !t.attempt.live) continue;
    const { shard } = ledger.judge(m.peer, m.taskId);
    if (shard && !shard.done) {
      ledger.release(shard);
      n++;
    }
  }
  return n;
}
