import type { TreeBody } from '../../shared/protocol';
import { CoverRelay } from '../../shared/p2p/coverRelay';
import { HopEncoder } from '../../shared/p2p/hopCodec';
import { decodeTreeSum, type CoveredSum } from '../../shared/p2p/treeSum';
import { weightsDownStep } from '../../shared/p2p/weightsDown';
import type { P2pCall, P2pReply } from './bridge';
import { P2pNode, type P2pLink } from './link';

/**
 * The page's side of `--p2p` in a training run: this tab's PeerJS node, its
 * data channels to parent tabs (kept across steps: the coordinator keeps
 * the tree the same while the fleet is), and one CoverRelay per task with a
 * role. A relay sends up when its children are in, or `waitMs` after its own
 * gradient with whatever is in. A sum whose parent cannot be reached (the
 * channel never opened, or the parent tab left) goes to the coordinator over
 * the session's WebSocket instead: no work is lost to a broken link.
 *
 * Weights go down the same channels: a relay passes a step's weights
 * message (shared/p2p/weightsDown.ts) to the children its role names
 * (`forward`) as soon as the whole message is in, from its own TASK or from
 * its parent, before its worker decodes them; a child's channel that is
 * not open yet gets them when it opens. The child's session checks them
 * (client/p2p/treeWeights.ts), and asks the coordinator if they do not come.
 *
 * Sums go up a data channel in the run's --compress codec (fp16, int8; top-k
 * and none as float32: shared/p2p/hopCodec.ts); a relay decodes its
 * children's and adds them in float32. The rounding of this tab's hop goes
 * back to the session (`hop`) for its digest.
 */
export interface TabTreeOptions {
  origin: string;
  joinToken: string;
  reply: (r: P2pReply) => void;
  openTimeoutMs?: number;
}

interface Entry {
  role: TreeBody;
  /** When the relay sends what it has (performance.now() clock). */
  flushAt: number;
  relay: CoverRelay;
  timer: ReturnType<typeof setTimeout> | null;
}

const KEEP = 16;
/** Tries to register with the signalling server (5, 10, 20 s): then the tab stays on the star for good. */
const OPEN_ATTEMPTS = 3;

export class TabTree {
  private node: P2pNode | null = null;
  private params = 0;
  /** The run's --compress for the sums this tab sends up a data channel (its own residual, for int8). */
  private hop = new HopEncoder({ name: 'none' }, 0);
  private readonly parents = new Map<string, Promise<P2pLink | null>>();
  /** Parents whose channel closed (the tab left): sums for them go straight to the coordinator. */
  private readonly left = new Set<string>();
  private readonly entries = new Map<number, Entry>();
  /** Children's sums that arrived before this tab's role for their step. */
  private readonly early: { from: string; s: CoveredSum }[] = [];
  /** Channels children opened to this tab, by their PeerJS id (weights go down them). */
  private readonly childLinks = new Map<string, P2pLink>();
  /** Weights for a child whose channel is not open yet (the latest only). */
  private readonly pendingDown = new Map<string, Uint8Array>();
  /** Weights from the parent that came before this tab's role for their step. */
  private readonly earlyDown: Uint8Array[] = [];
  /** For tests and the status: sums sent up a channel, and sent to the coordinator instead; weights messages passed down. */
  readonly counts = { upChannel: 0, upSocket: 0, fromChildren: 0, refused: 0, weightsDown: 0 };

  constructor(private readonly o: TabTreeOptions) {}

  handle(c: P2pCall): void {
    if (c.kind === 'open') {
      this.hop = new HopEncoder(c.codec?.spec ?? { name: 'none' }, c.params, c.codec?.segments);
      void this.open(c.peerId, c.params);
    }
    else if (c.kind === 'role') this.role(c.role);
    else if (c.kind === 'weights') this.passDown(c.step, c.message);
    else this.own(c);
  }

  private async open(peerId: string, params: number, attempt = 0): Promise<void> {
    this.params = params;
    if (this.node) return this.o.reply({ kind: 'opened', id: this.node.id, note: 'reused' });
    const id = `${peerId}-${Math.random().toString(36).slice(2, 8)}`;
    // A tab still compiling its shaders on a loaded laptop can miss the first timeout: it stays on the star meanwhile,
    // and tries again with twice the time (OPEN_ATTEMPTS in all); the coordinator puts it in the trees once it has an id.
    const node = await P2pNode.open(id, { origin: this.o.origin, joinToken: this.o.joinToken, openTimeoutMs: (this.o.openTimeoutMs ?? 5000) * 2 ** attempt });
    if (this.node) return node?.destroy();
    this.node = node;
    if (!node && typeof RTCPeerConnection === 'function' && attempt + 1 < OPEN_ATTEMPTS) setTimeout(() => void this.open(peerId, params, attempt + 1), 1000);
    node?.onLink((link) => {
      const child = link.remoteId;
      this.childLinks.set(child, link);
      link.onClose = () => {
        if (this.childLinks.get(child) === link) this.childLinks.delete(child);
      };
      link.onMessage((m) => this.fromChild(child, m));
      const waiting = this.pendingDown.get(child);
      this.pendingDown.delete(child);
      if (waiting) this.sendDown(child, waiting);
    });
    this.o.reply({ kind: 'opened', id: node?.id ?? null, note: node ? '' : typeof RTCPeerConnection === 'function' ? 'the PeerJS server did not answer in time' : 'this browser has no WebRTC' });
  }

  private role(r: TreeBody): void {
    const entry: Entry = { role: r, flushAt: performance.now() + r.waitMs, relay: new CoverRelay(r.step, r.children, (s) => void this.up(entry, s)), timer: null };
    this.entries.set(r.taskId, entry);
    for (const k of [...this.entries.keys()].slice(0, Math.max(0, this.entries.size - KEEP))) this.entries.delete(k);
    if (r.parent !== null) this.parent(r.parent);
    for (const e of this.early.splice(0)) this.deliver(e.from, e.s);
    for (const m of this.earlyDown.splice(0)) this.fromParent(m);
  }

  /** A step's weights (from this tab's TASK, or its parent): on to the children the role names, the same bytes. */
  private passDown(step: number, message: Uint8Array): boolean {
    const entry = [...this.entries.values()].find((e) => e.role.step === step);
    if (!entry) return false;
    for (const child of entry.role.forward ?? []) this.sendDown(child, message);
    return true;
  }

  private sendDown(child: string, message: Uint8Array): void {
    const link = this.childLinks.get(child);
    if (!link || link.closed) {
      this.pendingDown.set(child, message);
      while (this.pendingDown.size > 64) this.pendingDown.delete(this.pendingDown.keys().next().value as string);
      return;
    }
    this.counts.weightsDown++;
    link.send(message).catch(() => undefined); // the child left: it asks the coordinator when its wait ends
  }

  /** Weights from the parent: passed on first (before this tab decodes them), then to the session to check and install. */
  private fromParent(message: Uint8Array): void {
    const step = weightsDownStep(message);
    if (step === null) return;
    if (!this.passDown(step, message)) {
      if (this.earlyDown.length < 4) this.earlyDown.push(message);
      return;
    }
    this.o.reply({ kind: 'weights', message });
  }

  private parent(id: string): Promise<P2pLink | null> {
    let link = this.parents.get(id);
    if (!link) {
      link = this.node ? this.node.connect(id, this.o.openTimeoutMs ?? 5000) : Promise.resolve(null);
      this.parents.set(id, link);
      void link.then((l) => {
        if (!l) return void this.parents.delete(id); // try again next step
        l.onClose = () => {
          this.parents.delete(id);
          this.left.add(id);
        };
        l.onMessage((m) => this.fromParent(m));
      });
    }
    return link;
  }

  private own(c: Extract<P2pCall, { kind: 'own' }>): void {
    const s: CoveredSum = { sum: { step: c.step, count: c.count, lossSum: c.lossSum, grad: c.grad }, covers: [{ peer: c.peerId, taskId: c.taskId, count: c.count, computeMs: c.computeMs }] };
    const entry = this.entries.get(c.taskId);
    if (!entry) return this.toSocket(c.taskId, s, []);
    entry.relay.own(s);
    if (!entry.relay.done) entry.timer = setTimeout(() => entry.relay.flush(), Math.max(0, entry.flushAt - performance.now()));
  }

  private fromChild(from: string, bytes: Uint8Array): void {
    let s: CoveredSum;
    try {
      s = decodeTreeSum(bytes, this.params);
    } catch {
      this.counts.refused++;
      return;
    }
    this.counts.fromChildren++;
    this.deliver(from, s);
  }

  private deliver(from: string, s: CoveredSum): void {
    const entry = [...this.entries.values()].find((e) => e.role.step === s.sum.step && e.role.children.includes(from));
    if (entry) entry.relay.fromChild(from, s);
    else if (this.early.length < 64) this.early.push({ from, s });
  }

  private async up(entry: Entry, summed: CoveredSum): Promise<void> {
    let s = summed;
    if (entry.timer) clearTimeout(entry.timer);
    const parent = entry.role.parent;
    if (parent === null || this.left.has(parent)) return this.toSocket(entry.role.taskId, s, []);
    const link = await this.parent(parent);
    if (link && !link.closed) {
      // the run's codec on this hop; the rounding it added goes in this tab's digest
      const hop = this.hop.encode(s);
      if (hop.codecErr > 0) this.o.reply({ kind: 'hop', taskId: entry.role.taskId, codecErr: hop.codecErr });
      try {
        await link.send(hop.bytes);
        this.counts.upChannel++;
        return;
      } catch {
        // the parent left while we sent: the coordinator gets it directly, as encoded (the residual kept what it dropped)
        s = { ...s, sum: { ...s.sum, grad: hop.sent } };
      }
    }
    this.toSocket(entry.role.taskId, s, link ? [] : [parent]);
  }

  private toSocket(taskId: number, s: CoveredSum, broken: string[]): void {
    this.counts.upSocket++;
    this.o.reply({ kind: 'up', taskId, step: s.sum.step, count: s.sum.count, lossSum: s.sum.lossSum, grad: s.sum.grad, covers: s.covers, broken });
  }
}
