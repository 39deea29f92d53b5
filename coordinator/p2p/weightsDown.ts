import type { TensorPayload } from '../../shared/protocol';
import { weightsChecksum } from '../../shared/p2p/weightsDown';
import type { ReductionTree } from '../../shared/p2p/tree';

/**
 * Which tabs of a step's tree get their weights from their parent tab
 * instead of with their TASK (`--p2p`, shared/p2p/weightsDown.ts).
 *
 * The rule (one, simple, exact): a child gets its weights down the tree
 * only when the coordinator would have attached to its TASK the very same
 * payload as to its parent's (the same object of the weights broadcast:
 * the same content and kind, so the same bytes). With fp32 and fp16
 * weights that is every tab that needs the step's weights; with
 * --weights-codec delta, every tab holding the same base as its parent (a
 * delta goes down only where every hop holds that base), and a tab that
 * needs full weights while its parent gets a delta (it rejoined, say) gets
 * them on the star as before. The parent has those bytes either way (from
 * its TASK or from its own parent), so the chain never breaks on a rule.
 */
export interface SentWeights {
  payload: TensorPayload;
  delta: boolean;
  baseVersion: number;
}

export interface WeightsPlan {
  /** Tab -> the weights it gets from its parent (the checksum it checks them against). */
  fromParent: Map<string, { sum: number; level: number }>;
  /** Relay -> its children that get their weights from it. */
  forward: Map<string, string[]>;
}

export function planWeightsDown(tree: ReductionTree, preview: (tab: string) => SentWeights | null, sumOf: (w: SentWeights) => number): WeightsPlan {
  const plan: WeightsPlan = { fromParent: new Map(), forward: new Map() };
  const got = new Map<string, SentWeights | null>();
  const of = (t: string): SentWeights | null => {
    if (!got.has(t)) got.set(t, preview(t));
    return got.get(t)!;
  };
  const walk = (tab: string, level: number): void => {
    const mine = of(tab);
    for (const child of tree.children.get(tab) ?? []) {
      const theirs = of(child);
      if (mine && theirs && theirs.payload === mine.payload) {
        plan.fromParent.set(child, { sum: sumOf(theirs), level: level + 1 });
        plan.forward.set(tab, [...(plan.forward.get(tab) ?? []), child]);
      }
      walk(child, level + 1);
    }
  };
  for (const root of tree.roots) walk(root, 0);
  return plan;
}

/** The checksum of each payload at its latest version, computed once (every child of a step checks the same one). */
export class ChecksumCache {
  private readonly sums = new WeakMap<TensorPayload, { version: number; sum: number }>();

  sum(w: SentWeights, version: number): number {
    const held = this.sums.get(w.payload);
    if (held?.version === version) return held.sum;
    const sum = weightsChecksum({ weightsVersion: version, delta: w.delta, baseVersion: w.baseVersion, weights: w.payload });
    this.sums.set(w.payload, { version, sum });
    return sum;
  }
}
