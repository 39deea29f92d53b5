import type { Shard } from '../round/work';
import type { WorkLedger } from '../round/ledger';
import type { TreeStepEvent } from './treeStep';

/**
 * Turns the verdicts of a tree step (treeStep.ts) into the work ledger's
 * terms, so the exactly-once rules of the star hold for relayed sums:
 *
 * - accepted: the relayed sum covers the shards of every tab of its subtree.
 *   It is counted only if EVERY one of those tasks is still open and not yet
 *   covered (by a backup copy, say): a sum cannot be split, so a partly
 *   covered subtree is dropped whole and its open shards go back.
 * - void (a tab of the subtree left or stalled) and rejected (the digests do
 *   not add up): no shard of the subtree is covered; each open attempt ends
 *   and its shard is handed out again by the round's policy. Relays of a
 *   rejected subtree are quarantined (the ledger's `fail`); its leaves are
 *   not (they did nothing wrong).
 *
 * `taskOf` maps each tab to the task it was sent for the step.
 */
export interface TreeLedgerResult {
  /** Shards the relayed sum covers (add the sum to the step's total once). */
  covered: Shard[];
  /** Shards to hand out again. */
  reassign: Shard[];
  /** The sum is to be added to the step's total. */
  addSum: boolean;
  quarantined: string[];
}

export function applyTreeEvent(ledger: WorkLedger, ev: TreeStepEvent, taskOf: ReadonlyMap<string, number>): TreeLedgerResult {
  const out: TreeLedgerResult = { covered: [], reassign: [], addSum: false, quarantined: [] };
  if (ev.kind === 'reveal') return out;
  const tasks = ev.tabs.map((tab) => ({ tab, taskId: taskOf.get(tab) ?? -1 }));
  if (ev.kind === 'accepted') {
    const open = tasks.map((t) => ledger.lookup(t.tab, t.taskId));
    if (open.every((o) => o !== null && !o.shard.done)) {
      for (const t of tasks) {
        const { verdict, shard } = ledger.judge(t.tab, t.taskId);
        if (verdict === 'accepted' && shard) {
          ledger.cover(shard, t.tab);
          out.covered.push(shard);
        }
      }
      out.addSum = true;
      return out;
    }
  }
  const relays = new Set(ev.kind === 'rejected' ? ev.relays : []);
  for (const t of tasks) {
    if (relays.has(t.tab)) {
      const shard = ledger.fail(t.tab, t.taskId);
      out.quarantined.push(t.tab);
      if (shard && !shard.done) out.reassign.push(shard);
      continue;
    }
    const found = ledger.lookup(t.tab, t.taskId);
    if (!found || !found.attempt.live) continue; // the tab left: removePeer already gave its shard back
    const { shard } = ledger.judge(t.tab, t.taskId);
    if (shard && !shard.done) {
      ledger.release(shard);
      out.reassign.push(shard);
    }
  }
  return out;
}
