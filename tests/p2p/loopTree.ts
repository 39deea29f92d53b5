import { WebSocket } from 'ws';
import { joinParts } from '../../client/node/nodePeer';
import type { P2pCall } from '../../client/p2p/bridge';
import { PeerSession } from '../../client/peer/session';
import type { PeerSocket } from '../../client/peer/socket';
import { SUPPORTED_CODECS } from '../../shared/compress';
import { CoverRelay } from '../../shared/p2p/coverRelay';
import { HopEncoder } from '../../shared/p2p/hopCodec';
import { decodeTreeSum, encodeTreeSum, type CoveredSum } from '../../shared/p2p/treeSum';
import { weightsDownStep } from '../../shared/p2p/weightsDown';
import type { TreeBody } from '../../shared/protocol';

/**
 * Node peers in a `--p2p` run's trees, for integration tests: the tabs' own
 * protocol session (client/peer/session.ts: TREE roles, RELAYED, REVEAL and
 * DIGEST over a real WebSocket on loopback) and the tabs' own relay
 * (shared/p2p/coverRelay.ts), with the data channels replaced by calls
 * between these objects (there is no WebRTC in Node). A `forge` hook lets
 * one relay change what it passes up, as a dishonest tab could. Weights go
 * down the same way (the TREE's `forward`), and `dropWeights` makes a relay
 * pass none on, as a relay that left mid-forward would. Sums go up as the
 * page sends them: bytes in the run's codec (shared/p2p/hopCodec.ts),
 * decoded by the parent; `hopBytes` records each hop's size.
 */
export class LoopNet {
  readonly tabs = new Map<string, LoopTab>();
}

interface Entry {
  role: TreeBody;
  relay: CoverRelay;
}

export class LoopTab {
  /** PeerJS-like id ('' until the session opens the tree). */
  id = '';
  /** The coordinator's id for this tab. */
  peerId = '';
  readonly session: PeerSession;
  private readonly entries = new Map<number, Entry>();
  private readonly early: { from: string; s: CoveredSum }[] = [];
  /** Sums this tab changed on their way up (forge hook). */
  forged = 0;
  /** Weights messages this tab passed on to its children. */
  weightsDown = 0;
  /** Pass no weights on (a relay that left mid-forward, as its children see it). */
  dropWeights = false;
  /** Bytes of each sum this tab sent up to its parent tab, and what the same message would be in float32 (one entry a hop). */
  readonly hopBytes: { sent: number; fp32: number }[] = [];
  private hop = new HopEncoder({ name: 'none' }, 0);
  private params = 0;

  constructor(
    private readonly net: LoopNet,
    joinUrl: string,
    nickname: string,
    /** Given a child's sum, what this relay passes on instead (a forgery), or null to stay honest. */
    private readonly forge: ((s: CoveredSum) => CoveredSum | null) | null = null,
  ) {
    const { token, wsUrl, origin } = joinParts(joinUrl);
    this.session = new PeerSession({
      url: wsUrl,
      hello: { token, kind: 'tab', backend: 'cpu', backendNote: 'loop-tree test tab', renderer: '', nickname, codecs: SUPPORTED_CODECS },
      socket: (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as PeerSocket,
      resolveUrl: (path) => new URL(path, origin).toString(),
      // As postMessage would: the page answers later, never inside the session's call.
      p2p: (c) => queueMicrotask(() => this.handle(c)),
    });
    this.session.start();
  }

  private handle(c: P2pCall): void {
    if (c.kind === 'open') {
      this.peerId = c.peerId;
      this.params = c.params;
      this.hop = new HopEncoder(c.codec?.spec ?? { name: 'none' }, c.params, c.codec?.segments);
      this.id = `${c.peerId}-loop`;
      this.net.tabs.set(this.id, this);
      this.session.p2pReply({ kind: 'opened', id: this.id, note: '' });
    } else if (c.kind === 'role') {
      const role = c.role;
      this.entries.set(role.taskId, { role, relay: new CoverRelay(role.step, role.children, (s) => this.up(role, s)) });
      for (const e of this.early.splice(0)) this.deliver(e.from, e.s);
    } else if (c.kind === 'weights') {
      this.passDown(c.step, c.message);
    } else {
      const s: CoveredSum = { sum: { step: c.step, count: c.count, lossSum: c.lossSum, grad: c.grad }, covers: [{ peer: c.peerId, taskId: c.taskId, count: c.count, computeMs: c.computeMs }] };
      const entry = this.entries.get(c.taskId);
      if (entry) entry.relay.own(s);
      else this.session.p2pReply({ kind: 'up', taskId: c.taskId, step: c.step, count: c.count, lossSum: c.lossSum, grad: c.grad, covers: s.covers, broken: [] });
    }
  }

  private passDown(step: number, message: Uint8Array): boolean {
    const entry = [...this.entries.values()].find((e) => e.role.step === step);
    if (!entry) return false;
    for (const child of entry.role.forward ?? []) {
      const tab = this.net.tabs.get(child);
      if (!tab || this.dropWeights) continue;
      this.weightsDown++;
      queueMicrotask(() => tab.fromParent(message));
    }
    return true;
  }

  fromParent(message: Uint8Array, tries = 0): void {
    const step = weightsDownStep(message);
    if (step === null) return;
    // Its role is on its way (another socket); a page keeps such early weights the same way (client/p2p/tabTree.ts).
    if (!this.passDown(step, message)) return void (tries < 100 && setTimeout(() => this.fromParent(message, tries + 1), 10));
    this.session.p2pReply({ kind: 'weights', message });
  }

  /** A child's sum as bytes on its data channel. */
  fromChild(from: string, bytes: Uint8Array): void {
    this.deliver(from, decodeTreeSum(bytes, this.params));
  }

  private deliver(from: string, s: CoveredSum): void {
    const entry = [...this.entries.values()].find((e) => e.role.step === s.sum.step && e.role.children.includes(from));
    if (!entry) {
      this.early.push({ from, s });
      return;
    }
    const forged = this.forge?.(s) ?? null;
    if (forged) this.forged++;
    entry.relay.fromChild(from, forged ?? s);
  }

  private up(role: TreeBody, s: CoveredSum): void {
    const parent = role.parent === null ? undefined : this.net.tabs.get(role.parent);
    if (parent) {
      const hop = this.hop.encode(s);
      if (hop.codecErr > 0) this.session.p2pReply({ kind: 'hop', taskId: role.taskId, codecErr: hop.codecErr });
      this.hopBytes.push({ sent: hop.bytes.byteLength, fp32: encodeTreeSum(s).byteLength });
      queueMicrotask(() => parent.fromChild(this.id, hop.bytes));
    }
    else this.session.p2pReply({ kind: 'up', taskId: role.taskId, step: s.sum.step, count: s.sum.count, lossSum: s.sum.lossSum, grad: s.sum.grad, covers: s.covers, broken: [] });
  }
}
