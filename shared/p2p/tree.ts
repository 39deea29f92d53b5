import { fail } from '../errors';

/**
 * The reduction tree of one round, chosen by the coordinator from the tabs
 * whose data channels work. Fan-in k: the coordinator hears from at most k
 * roots, every tab has at most k children. Tabs are taken in the order given
 * (the caller puts the steadiest first, so they relay) and placed
 * breadth-first: with no broken links this is the k-ary heap layout (tab i's
 * parent is tab floor(i/k) - 1), whose depth is about log_k(N).
 *
 * A tab without a working data channel, or one that no parent can reach
 * (its links to every candidate are broken, and k roots are taken), stays
 * on the WebSocket star for the round. A quarantined tab (a sum it relayed
 * failed the digest check) is only ever a leaf.
 */
export interface TreeInput {
  /** Candidate tabs, steadiest first. */
  tabs: readonly string[];
  fanIn: number;
  /** Tabs whose data channel did not open, or that have no WebRTC. */
  noChannel?: ReadonlySet<string>;
  /** Tabs that may not relay (a relayed sum failed its digest); they still send their own sum as leaves. */
  noRelay?: ReadonlySet<string>;
  /** Child-parent links that failed to open, as linkKey(child, parent). */
  brokenLinks?: ReadonlySet<string>;
}

export interface ReductionTree {
  fanIn: number;
  /** The tabs that send their subtree's sum to the coordinator (at most fanIn). */
  roots: string[];
  /** Every tab in the tree: its parent (null: a root). */
  parent: Map<string, string | null>;
  children: Map<string, string[]>;
  /** Tabs on the WebSocket star this round. */
  star: string[];
}

export function linkKey(child: string, parent: string): string {
  return `${child}>${parent}`;
}

export function chooseTree(input: TreeInput): ReductionTree {
  const k = input.fanIn;
  if (!Number.isInteger(k) || k < 1) throw fail('CONFIG_INVALID', `--p2p-fan-in ${k} must be a whole number >= 1`);
  const noChannel = input.noChannel ?? new Set<string>();
  const noRelay = input.noRelay ?? new Set<string>();
  const broken = input.brokenLinks ?? new Set<string>();
  const tree: ReductionTree = { fanIn: k, roots: [], parent: new Map(), children: new Map(), star: [] };
  const placed: string[] = [];
  for (const tab of input.tabs) {
    if (tree.parent.has(tab) || tree.star.includes(tab)) throw fail('INTERNAL', `tab ${tab} is listed twice for the tree`);
    if (noChannel.has(tab)) {
      tree.star.push(tab);
      continue;
    }
    const parent = tree.roots.length < k ? undefined : placed.find((p) => !noRelay.has(p) && (tree.children.get(p)?.length ?? 0) < k && !broken.has(linkKey(tab, p)));
    if (parent !== undefined) {
      tree.parent.set(tab, parent);
      tree.children.get(parent)?.push(tab);
    } else if (tree.roots.length < k) {
      tree.parent.set(tab, null);
      tree.roots.push(tab);
    } else {
      tree.star.push(tab);
      continue;
    }
    tree.children.set(tab, []);
    placed.push(tab);
  }
  return tree;
}

/** The tabs whose sums a tab's outgoing sum covers: itself and everyone below it. */
export function subtreeOf(tree: ReductionTree, tab: string): string[] {
  const out: string[] = [];
  const walk = (t: string): void => {
    out.push(t);
    for (const c of tree.children.get(t) ?? []) walk(c);
  };
  walk(tab);
  return out;
}

export function depthOf(tree: ReductionTree): number {
  let depth = 0;
  for (const tab of tree.parent.keys()) {
    let d = 1;
    for (let p = tree.parent.get(tab); p; p = tree.parent.get(p)) d++;
    depth = Math.max(depth, d);
  }
  return depth;
}

/** Status data for the dashboard: who relays for whom. */
export interface TreeView {
  fanIn: number;
  roots: string[];
  /** relay -> the tabs it adds up (only tabs with children). */
  relays: Record<string, string[]>;
  star: string[];
  depth: number;
}

export function treeView(tree: ReductionTree): TreeView {
  const relays: Record<string, string[]> = {};
  for (const [tab, kids] of tree.children) if (kids.length > 0) relays[tab] = [...kids];
  return { fanIn: tree.fanIn, roots: [...tree.roots], relays, star: [...tree.star], depth: depthOf(tree) };
}
