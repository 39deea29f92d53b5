import { fail } from '../../shared/errors';
import { encodeTree, type DigestBody, type GradFrame, type P2pBody, type RelayedBody } from '../../shared/protocol';
import { chooseTree, linkKey, subtreeOf, treeView, type ReductionTree, type TreeView } from '../../shared/p2p/tree';
import type { Effect } from '../round/engine';
import type { SendEffect } from '../round/ledger';
import { DigestGate, type GateHost, type Rejection } from './digestGate';
import { acceptRelayed, allStale, checkCovers, giveBack, type RelayedOutcome } from './relayedGrad';
import { ChecksumCache, planWeightsDown, type SentWeights } from './weightsDown';

/**
 * `--p2p` on the coordinator: which tabs have a PeerJS node, the reduction
 * tree of each sync step, and the gradient bytes that reach the coordinator.
 *
 * When a step's tasks go out (the first `send` effects of a new training
 * round), the tabs among them that reported a PeerJS id are placed in a tree
 * of fan-in k (shared/p2p/tree.ts; steadiest = earliest to report first, so
 * the tree and its data channels stay the same from step to step) and each
 * gets a TREE message before its TASK. Everyone else, and every backup or
 * reassigned task, is on the star. A tab that reports a link it could not
 * open is not given that parent again; a relay whose subtree sum was
 * refused relays no more. A relayed sum that holds other tabs' parts is
 * counted only once their digests add up (digestGate.ts).
 */
export interface PlaneHost extends GateHost {
  /** Weights down the trees (weightsDown.ts); without it every tab gets its weights with its TASK. */
  weights?: {
    /** What a training TASK for this tab would carry now (the same object: the same bytes), null: nothing. */
    preview(peerId: string): SentWeights | null;
    /** The current weights to this tab over its own socket (a WEIGHTS frame): the payload bytes sent, 0 if none. */
    resend(peerId: string): number;
  };
}

export interface StepBytes {
  step: number;
  /** Gradient bytes (GRAD and RELAYED frames) into the coordinator while this step was out. */
  bytes: number;
  /** Gradient frames in. */
  frames: number;
  /** Tabs in the tree / on the star when the step went out. */
  tree: number;
  star: number;
  /** Weights payload bytes out of the coordinator for this step (TASKs, and WEIGHTS to tabs that asked). */
  weightsOut: number;
}

export interface P2pView extends TreeView {
  /** Trees are in use (--p2p in sync mode); off: the byte counts are the star's. */
  enabled: boolean;
  step: number;
  /** Per tab: its PeerJS id, or the reason it has none. */
  tabs: { peer: string; id: string | null; note: string }[];
  broken: string[];
  recent: StepBytes[];
  /** Relayed sums counted, dropped whole, or too late (a rejected one is in `digests.failed`). */
  relayed: Record<RelayedOutcome, number>;
  /** Relayed sums whose digests were checked: passed, failed; sums waiting for digests now. */
  digests: { passed: number; failed: number; waiting: number };
  /** The last relayed sums that did not add up, with the relays quarantined for them. */
  rejections: Rejection[];
  gradBytes: number;
  gradFrames: number;
  /** Weights bytes out; training tasks whose weights went down a tree; tabs that asked the coordinator for them instead. */
  weights: { outBytes: number; viaTree: number; fallbacks: number };
}

interface Plan {
  step: number;
  tree: ReductionTree;
  taskOf: Map<string, number>;
}

const KEEP_STEPS = 64;
/** Steps a link that did not open is left out of the trees before it is tried again. */
const RETRY_BROKEN_STEPS = 2;

export class P2pPlane {
  private readonly ids = new Map<string, { id: string | null; note: string }>();
  /** Links that did not open, with the step they were reported in (tried again after RETRY_BROKEN_STEPS). */
  private readonly broken = new Map<string, number>();
  private readonly noRelay = new Set<string>();
  private plan: Plan | null = null;
  readonly recent: StepBytes[] = [];
  readonly relayed: Record<RelayedOutcome, number> = { accepted: 0, dropped: 0, stale: 0 };
  private readonly gate: DigestGate;
  gradBytes = 0;
  gradFrames = 0;
  readonly weights = { outBytes: 0, viaTree: 0, fallbacks: 0 };
  /** This step's tabs (and tasks) whose weights come from their parent tab. */
  private down = new Map<string, number>();
  private readonly sums = new ChecksumCache();

  constructor(
    private readonly host: PlaneHost,
    readonly o: { enabled: boolean; fanIn: number; waitMs: number },
  ) {
    this.gate = new DigestGate(host);
  }

  /** A tab's P2P message: its PeerJS id (or none), and parents it could not reach. */
  hello(peerId: string, b: P2pBody): void {
    if (!this.o.enabled) return;
    const known = this.ids.get(peerId);
    if (!known || b.id !== null || known.id === null) this.ids.set(peerId, { id: b.id, note: b.note });
    for (const remote of b.broken) {
      const parent = [...this.ids.entries()].find(([, v]) => v.id === remote)?.[0];
      if (parent) this.broken.set(linkKey(peerId, parent), this.recent.at(-1)?.step ?? 0);
    }
    if (b.want) this.wantWeights(peerId, b.want);
    if (b.id === null) this.host.log(`peer ${peerId} stays on the star: ${b.note || 'no peer-to-peer link'}`);
    if (b.broken.length > 0) this.host.log(`peer ${peerId} could not open a data channel to ${b.broken.join(', ')}; it sent on the star`);
  }

  /**
   * A tab left (called before the run drops it from the ledger, whose next
   * assignment hands out what is given back here). A relay that leaves
   * mid-step may hold its children's sums: their tasks are given back now
   * (not at the step's deadline); a child's sum that still arrives on the
   * star is then dropped, never counted twice.
   */
  gone(peerId: string): void {
    this.ids.delete(peerId);
    this.gate.gone(peerId);
    const plan = this.plan;
    if (!plan || (plan.tree.children.get(peerId)?.length ?? 0) === 0) return;
    const below = subtreeOf(plan.tree, peerId).filter((t) => t !== peerId);
    const n = giveBack(this.host.ledger, below.map((t) => ({ peer: t, taskId: plan.taskOf.get(t)! })));
    if (n > 0) this.host.log(`p2p: relay ${peerId} left mid-step; the shards of ${below.join(', ')} go out again now`);
  }

  /** A tab's DIGEST of its part of a held relayed sum. */
  onDigest(peerId: string, d: DigestBody): void {
    const outcome = this.gate.digest(peerId, d);
    if (outcome && outcome !== 'rejected') this.relayed[outcome]++;
  }

  /** Gradient bytes in (every GRAD and RELAYED frame), counted against the step they answer. */
  countIn(bytes: number): void {
    this.gradBytes += bytes;
    this.gradFrames++;
    const last = this.recent.at(-1);
    if (last) {
      last.bytes += bytes;
      last.frames++;
    }
  }

  /**
   * Links not to use at `step`: a channel that did not open (a loaded machine can miss the open timeout once) is
   * tried again a few steps later, so one slow open does not keep two tabs out of each other's tree for the run.
   */
  private brokenNow(step: number): Set<string> {
    for (const [k, at] of this.broken) if (step - at > RETRY_BROKEN_STEPS) this.broken.delete(k);
    return new Set(this.broken.keys());
  }

  /** TaskSender's route: this task's weights go down the tree (its TASK carries none). */
  viaTree(peerId: string, taskId: number): boolean {
    if (this.down.get(peerId) !== taskId) return false;
    this.weights.viaTree++;
    return true;
  }

  /** Weights payload bytes out with a TASK. */
  sent(bytes: number, train: boolean): void {
    this.weights.outBytes += bytes;
    const last = this.recent.at(-1);
    if (last && train) last.weightsOut += bytes;
  }

  /** A tab's weights did not come down the tree in time or intact: the coordinator sends them over its socket. */
  private wantWeights(peerId: string, want: NonNullable<P2pBody['want']>): void {
    this.weights.fallbacks++;
    this.down.delete(peerId);
    const bytes = this.host.weights?.resend(peerId) ?? 0;
    this.sent(bytes, true);
    this.host.log(`p2p: peer ${peerId} fetches the weights of step ${want.step} from the coordinator: ${want.why}`);
  }

  /** Before the effects are performed: a new training step's first tasks get their tree. */
  beforeSend(effects: readonly Effect[]): void {
    const sends = effects.filter((e): e is SendEffect => e.type === 'send' && e.kind === 'train' && !e.backup && !e.local);
    const first = sends[0];
    if (!first || (this.plan && this.plan.step === first.roundId) || this.recent.at(-1)?.step === first.roundId) return;
    const step = first.roundId;
    this.gate.newStep(step);
    const order = [...this.ids.keys()];
    const inTree = sends.filter((s) => this.ids.get(s.peerId)?.id).sort((a, b) => order.indexOf(a.peerId) - order.indexOf(b.peerId));
    this.recent.push({ step, bytes: 0, frames: 0, tree: 0, star: sends.length, weightsOut: 0 });
    this.down = new Map();
    if (this.recent.length > KEEP_STEPS) this.recent.shift();
    if (!this.o.enabled || inTree.length < 2) {
      this.plan = null;
      return;
    }
    const tree = chooseTree({ tabs: inTree.map((s) => s.peerId), fanIn: this.o.fanIn, noRelay: this.noRelay, brokenLinks: this.brokenNow(step) });
    const taskOf = new Map(inTree.map((s) => [s.peerId, s.taskId]));
    this.plan = { step, tree, taskOf };
    const row = this.recent.at(-1)!;
    row.tree = tree.parent.size;
    row.star = sends.length - tree.parent.size;
    const height = (t: string): number => Math.max(0, ...(tree.children.get(t) ?? []).map((c) => 1 + height(c)));
    // Relays send what they have before the earliest deadline of the step's tree tasks (when the star's backups start),
    // one margin per level below the top, so a lower relay's sum still reaches the root in time.
    const now = this.host.now();
    const deadline = Math.min(...inTree.map((s) => this.host.ledger.lookup(s.peerId, s.taskId)?.attempt.deadline ?? now));
    const top = Math.max(...tree.roots.map(height));
    const waitMs = (t: string): number => Math.max(0, Math.round(deadline - now - this.o.waitMs * (1 + top - height(t))));
    // Weights go down the same tree: the roots get them with their TASK, each relay passes them on (weightsDown.ts).
    const versionOf = new Map(inTree.map((s) => [s.peerId, s.version]));
    const host = this.host.weights;
    const weights = host ? planWeightsDown(tree, (t) => host.preview(t), (w) => this.sums.sum(w, first.version)) : { fromParent: new Map(), forward: new Map() };
    for (const [tab, parent] of tree.parent) {
      const kids = tree.children.get(tab) ?? [];
      if (parent === null && kids.length === 0) continue; // a lone root: the star as usual
      const pid = (t: string): string => this.ids.get(t)!.id!;
      const down = weights.fromParent.get(tab);
      if (down) this.down.set(tab, taskOf.get(tab)!);
      const forward = weights.forward.get(tab) ?? [];
      this.host.send(
        tab,
        encodeTree({
          step,
          taskId: taskOf.get(tab)!,
          parent: parent === null ? null : pid(parent),
          children: kids.map(pid),
          waitMs: waitMs(tab),
          // A bounded wait per level below the root: then the tab asks the coordinator (its relay may have left).
          ...(down ? { weights: { version: versionOf.get(tab)!, sum: down.sum, waitMs: this.o.waitMs * (1 + down.level) } } : {}),
          ...(forward.length > 0 ? { forward: forward.map(pid) } : {}),
        }),
      );
    }
  }

  /** A RELAYED frame: a subtree's sum with the tasks it covers (relayedGrad.ts). */
  onRelayed(peerId: string, g: GradFrame, body: RelayedBody): void {
    const plan = this.plan && this.plan.step === g.step ? this.plan : null;
    const subtree = plan ? subtreeOf(plan.tree, peerId) : [];
    const named = new Set(body.covers.map((c) => c.peer));
    const stranger = plan ? body.covers.find((c) => !subtree.includes(c.peer)) : undefined;
    if (stranger) throw fail('GRAD_UNKNOWN_TASK', `${peerId}'s relayed sum names ${stranger.peer}, which is not in its subtree this step`, 1008);
    const missing = subtree.filter((t) => !named.has(t)).map((t) => ({ peer: t, taskId: plan!.taskOf.get(t)! }));
    let outcome: RelayedOutcome | null;
    try {
      outcome = this.take(peerId, g, body, missing, plan);
    } catch (e) {
      if (plan && subtree.length > 1) this.noRelay.add(peerId);
      throw e;
    }
    if (outcome) this.relayed[outcome]++;
    if (missing.length > 0 && outcome !== 'stale' && outcome !== 'dropped') this.host.log(`p2p: ${peerId}'s sum came without ${missing.map((m) => m.peer).join(', ')}; their shards go out again`);
  }

  /** A sum of the sender's own part alone is the star's GRAD; one holding others' parts waits for their digests (null). */
  private take(peerId: string, g: GradFrame, body: RelayedBody, missing: { peer: string; taskId: number }[], plan: Plan | null): RelayedOutcome | null {
    if (!DigestGate.needs(peerId, body.covers)) return acceptRelayed(this.host, g, body.covers, missing);
    if (allStale(this.host, body.covers)) return 'stale';
    checkCovers(this.host, g, body.covers);
    const grad = Float32Array.from(this.host.check(g));
    const relays = body.covers.map((c) => c.peer).filter((t) => t === peerId || (plan?.tree.children.get(t)?.length ?? 0) > 0);
    this.gate.hold(peerId, g, grad, body.covers, missing, relays);
    return null;
  }

  view(): P2pView {
    const base: TreeView = this.plan ? treeView(this.plan.tree) : { fanIn: this.o.fanIn, roots: [], relays: {}, star: [], depth: 0 };
    return {
      ...base,
      enabled: this.o.enabled,
      step: this.plan?.step ?? -1,
      tabs: [...this.ids.entries()].map(([peer, v]) => ({ peer, id: v.id, note: v.note })),
      broken: [...this.brokenNow(this.recent.at(-1)?.step ?? 0)],
      recent: this.recent.slice(-16),
      relayed: { ...this.relayed },
      digests: { ...this.gate.checks, waiting: this.gate.waiting },
      rejections: [...this.gate.rejections],
      gradBytes: this.gradBytes,
      gradFrames: this.gradFrames,
      weights: { ...this.weights },
    };
  }
}
