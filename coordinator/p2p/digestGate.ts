import { checkRelayedSum, hopsSlackOf, type Digest, type SumCodec } from '../../shared/p2p/digest';
import { TensorCodec, encodeReveal, type Cover, type DigestBody, type GradFrame } from '../../shared/protocol';
import { applyRelayed, giveBack, type RelayedHost, type RelayedOutcome } from './relayedGrad';

/**
 * The digest check in a real run: a relayed sum that holds other tabs' parts
 * is not counted on arrival. The coordinator draws a seed, sends it to every
 * tab the sum names (REVEAL), and holds the sum until each has answered with
 * the digest of its own part (DIGEST: count, loss sum, ±1 projections of its
 * gradient sum; shared/p2p/digest.ts). The seed did not exist while the sum
 * was being made, so no relay could shape a forgery to fit it.
 *
 * - Every digest in and the sum adds up: the sum goes into the ledger by the
 *   star's rules (relayedGrad.ts `applyRelayed`: counted once if every task
 *   it names is still open, else dropped whole).
 * - It does not add up: rejected. The relays it passed through (the sender
 *   and every named tab with children in the step's tree; any of them may
 *   have changed it, the coordinator sees only the top) are quarantined with
 *   the reason; the leaves' shards go out again. Nothing of it is counted.
 * - A named tab leaves first: the sum is dropped whole, the others' shards
 *   go out again. A digest that never comes: the step's deadline hands the
 *   shards to backups (the ledger), and the held sum, once its step is over,
 *   is dropped.
 */
export interface GateHost extends RelayedHost {
  send(peerId: string, frame: Uint8Array): void;
  log(line: string): void;
  /** A fresh unpredictable seed (u32). */
  seed(): number;
  /** The run's quarantine (results.ts quarantinePeer): no more work, its live attempts end, the reason goes in its record. */
  quarantine(peerId: string, code: string, reason: string): void;
}

export interface Rejection {
  step: number;
  from: string;
  relays: string[];
  reason: string;
}

interface Held {
  from: string;
  g: GradFrame;
  grad: Float32Array;
  covers: readonly Cover[];
  relays: string[];
  seed: number;
  digests: Map<string, Digest>;
}

/** Held sums at most (a step has at most fan-in roots plus orphaned subtrees; old steps are dropped). */
const MAX_HELD = 256;

export class DigestGate {
  private readonly held: Held[] = [];
  readonly rejections: Rejection[] = [];
  checks = { passed: 0, failed: 0 };

  constructor(private readonly host: GateHost) {}

  /** Whether a relayed sum needs digests: it holds a part other than the sender's own. */
  static needs(from: string, covers: readonly Cover[]): boolean {
    return covers.some((c) => c.peer !== from);
  }

  /** A checked relayed sum (copied out of any scratch buffer): shards of missing children go out now, the sum waits for its digests. */
  hold(from: string, g: GradFrame, grad: Float32Array, covers: readonly Cover[], missing: readonly { peer: string; taskId: number }[], relays: string[]): void {
    const seed = this.host.seed() >>> 0;
    if (this.held.length >= MAX_HELD) this.drop(this.held[0]!, 'too many sums waiting for digests');
    this.held.push({ from, g, grad, covers, relays, seed, digests: new Map() });
    if (giveBack(this.host.ledger, missing) > 0) this.host.perform(this.host.engine.assign(this.host.now()));
    for (const c of covers) this.host.send(c.peer, encodeReveal({ step: g.step, taskId: c.taskId, seed }));
  }

  /** A tab's DIGEST. Returns the outcome when it completed a held sum. */
  digest(peerId: string, d: DigestBody): RelayedOutcome | 'rejected' | null {
    const h = this.held.find((x) => x.seed === d.seed && x.g.step === d.step && x.covers.some((c) => c.peer === peerId && c.taskId === d.taskId));
    if (!h || h.digests.has(peerId)) return null;
    h.digests.set(peerId, d.digest);
    if (h.digests.size < h.covers.length) return null;
    this.held.splice(this.held.indexOf(h), 1);
    const covered = h.covers.map((c) => h.digests.get(c.peer)!);
    // --compress rounds every hop of the tree (tab to tab, then the root's to us): each tab's claim of its hop's rounding, capped
    const verdict = checkRelayedSum({ grad: h.grad, count: h.g.count, lossSum: h.g.lossSum }, covered, h.seed, hopsSlackOf(codecName(h.g.grad.codec), h.grad, covered));
    if (verdict.ok) {
      this.checks.passed++;
      return applyRelayed(this.host, h.g, h.grad, h.covers, []);
    }
    this.checks.failed++;
    this.reject(h, verdict.reason);
    return 'rejected';
  }

  /** A tab left: every held sum that names it is dropped whole (its part can no longer be vouched for). */
  gone(peerId: string): void {
    for (const h of this.held.filter((x) => x.covers.some((c) => c.peer === peerId))) this.drop(h, `${peerId} left before its digest`, peerId);
  }

  /** A new step went out: sums still held from earlier steps never got their digests; their shards were redone by the deadline. */
  newStep(step: number): void {
    for (const h of this.held.filter((x) => x.g.step < step)) this.drop(h, 'digests not in before the step ended');
  }

  get waiting(): number {
    return this.held.length;
  }

  private drop(h: Held, why: string, except?: string): void {
    this.held.splice(this.held.indexOf(h), 1);
    this.host.log(`p2p: the relayed sum from ${h.from} (step ${h.g.step}) is dropped: ${why}; its shards go out again`);
    if (giveBack(this.host.ledger, h.covers.filter((c) => c.peer !== except).map((c) => ({ peer: c.peer, taskId: c.taskId }))) > 0) this.host.perform(this.host.engine.assign(this.host.now()));
  }

  private reject(h: Held, reason: string): void {
    const now = this.host.now();
    const named = h.covers.map((c) => c.peer).join(', ');
    const why = `the sum it relayed for step ${h.g.step} (covering ${named}) does not add up to their digests: ${reason}`;
    this.rejections.push({ step: h.g.step, from: h.from, relays: h.relays, reason });
    if (this.rejections.length > 16) this.rejections.shift();
    for (const c of h.covers) this.host.timeline.returned(c.peer, c.taskId, now, c.computeMs, h.relays.includes(c.peer) ? 'failed' : 'duplicate');
    giveBack(this.host.ledger, h.covers.filter((c) => !h.relays.includes(c.peer)).map((c) => ({ peer: c.peer, taskId: c.taskId })));
    for (const r of h.relays) this.host.quarantine(r, 'P2P_SUM_FORGED', why);
    this.host.perform(this.host.engine.assign(now));
  }
}

function codecName(codec: number): SumCodec {
  if (codec === TensorCodec.FP16) return 'fp16';
  if (codec === TensorCodec.INT8) return 'int8';
  if (codec === TensorCodec.TOPK) return 'topk';
  return 'fp32';
}
