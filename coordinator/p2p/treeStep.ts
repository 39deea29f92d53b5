import { checkRelayedSum, type Digest } from '../../shared/p2p/digest';
import { subtreeOf, type ReductionTree } from '../../shared/p2p/tree';

/**
 * One sync step over a reduction tree, on the coordinator: pure bookkeeping,
 * no sockets or timers (the server turns messages and deadlines into calls).
 *
 *  1. A root's sum arrives (`sumArrived`): it claims to cover the root's
 *     subtree. The seed of the step is now revealed to that subtree's tabs
 *     (`revealTo`), never before, so no relay can fit a forgery to it.
 *  2. Each tab of the subtree answers with the digest of its own
 *     contribution (`digestArrived`).
 *  3. When every digest of the subtree is in, the sum is judged: 'accepted'
 *     (its shards count as covered in the ledger, exactly once) or
 *     'rejected' (the relays of the subtree are quarantined and its shards
 *     reassigned).
 *  A tab that leaves (`tabGone`) or a subtree that misses its deadline
 *  (`expire`) before its sum is accepted voids that subtree: its shards are all reassigned (a relay's
 *  partial sum is never half-counted).
 */
export type SubtreeState = 'waiting' | 'digests' | 'accepted' | 'rejected' | 'void';

export interface SubtreeRecord {
  root: string;
  tabs: string[];
  state: SubtreeState;
  sum?: { grad: Float32Array; count: number; lossSum: number };
  digests: Map<string, Digest>;
  reason?: string;
}

export type TreeStepEvent =
  | { kind: 'reveal'; tabs: string[]; seed: number }
  | { kind: 'accepted'; root: string; tabs: string[]; sum: { grad: Float32Array; count: number; lossSum: number } }
  | { kind: 'rejected'; root: string; tabs: string[]; relays: string[]; reason: string }
  | { kind: 'void'; root: string; tabs: string[]; reason: string };

export class TreeStep {
  readonly subtrees = new Map<string, SubtreeRecord>();
  private readonly rootOf = new Map<string, string>();

  constructor(
    readonly tree: ReductionTree,
    readonly seed: number,
  ) {
    for (const root of tree.roots) {
      const tabs = subtreeOf(tree, root);
      this.subtrees.set(root, { root, tabs, state: 'waiting', digests: new Map() });
      for (const t of tabs) this.rootOf.set(t, root);
    }
  }

  /** Relays inside a subtree (tabs with children). */
  relaysOf(root: string): string[] {
    return (this.subtrees.get(root)?.tabs ?? []).filter((t) => (this.tree.children.get(t)?.length ?? 0) > 0);
  }

  sumArrived(root: string, sum: { grad: Float32Array; count: number; lossSum: number }): TreeStepEvent[] {
    const s = this.subtrees.get(root);
    if (!s || s.state !== 'waiting') return [];
    s.sum = sum;
    s.state = 'digests';
    return [{ kind: 'reveal', tabs: [...s.tabs], seed: this.seed }, ...this.judge(s)];
  }

  digestArrived(tab: string, digest: Digest): TreeStepEvent[] {
    const root = this.rootOf.get(tab);
    const s = root === undefined ? undefined : this.subtrees.get(root);
    // A digest before the reveal cannot have used the seed: ignore it.
    if (!s || s.state !== 'digests' || s.digests.has(tab)) return [];
    s.digests.set(tab, digest);
    return this.judge(s);
  }

  tabGone(tab: string, why: string): TreeStepEvent[] {
    const root = this.rootOf.get(tab);
    const s = root === undefined ? undefined : this.subtrees.get(root);
    if (!s || s.state === 'accepted' || s.state === 'rejected' || s.state === 'void') return [];
    s.state = 'void';
    s.reason = `${tab} ${why}`;
    return [{ kind: 'void', root: s.root, tabs: [...s.tabs], reason: s.reason }];
  }

  /**
   * Time passed (the server's one timer, or a fake clock in tests): a subtree
   * whose sum or digests are not all in by `deadlineOf(root)` is void, as if
   * its relay had left (a stalled relay holds its children's work hostage;
   * the shards are redone). Pass the latest ledger deadline of its tabs.
   */
  expire(now: number, deadlineOf: (root: string) => number): TreeStepEvent[] {
    const out: TreeStepEvent[] = [];
    for (const s of this.subtrees.values()) {
      if ((s.state === 'waiting' || s.state === 'digests') && now > deadlineOf(s.root)) {
        const missing = s.state === 'waiting' ? 'its sum' : `digests of ${s.tabs.filter((t) => !s.digests.has(t)).join(', ')}`;
        out.push(...this.tabGone(s.root, `stalled: ${missing} not in by the deadline`));
      }
    }
    return out;
  }

  get done(): boolean {
    return [...this.subtrees.values()].every((s) => s.state === 'accepted' || s.state === 'rejected' || s.state === 'void');
  }

  private judge(s: SubtreeRecord): TreeStepEvent[] {
    if (s.state !== 'digests' || !s.sum || s.digests.size < s.tabs.length) return [];
    const verdict = checkRelayedSum(s.sum, [...s.digests.values()], this.seed);
    if (verdict.ok) {
      s.state = 'accepted';
      return [{ kind: 'accepted', root: s.root, tabs: [...s.tabs], sum: s.sum }];
    }
    s.state = 'rejected';
    s.reason = verdict.reason;
    return [{ kind: 'rejected', root: s.root, tabs: [...s.tabs], relays: this.relaysOf(s.root), reason: verdict.reason }];
  }
}
