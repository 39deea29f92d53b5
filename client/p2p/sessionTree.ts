import { decodeTensor } from '../../shared/compress';
import type { CompressSpec } from '../../shared/compress/spec';
import { l2Diff } from '../../shared/p2p/hopCodec';
import { TaskFlag, TensorCodec, encodeDigest, encodeP2p, encodeRelayed, type RevealBody, type TaskFrame, type TensorPayload, type TreeBody, type WeightsFrame } from '../../shared/protocol';
import { digestOf } from '../../shared/p2p/digest';
import { encodeWeightsDown } from '../../shared/p2p/weightsDown';
import type { P2pCall, P2pReply } from './bridge';
import { TreeWeights, type TaskWeights } from './treeWeights';

/**
 * The protocol session's `--p2p` side: asks the page to open a PeerJS node
 * once WELCOME says the run uses trees, reports the result to the
 * coordinator (P2P), keeps each task's TREE role, and for a task with a role
 * hands the gradient to the page's tree instead of sending GRAD. What comes
 * back up (a root's subtree sum, or a sum whose parent is unreachable) goes
 * to the coordinator as RELAYED, naming the tasks it covers.
 *
 * The tab also keeps its own part of each task it handed to the tree until
 * the coordinator, holding the relayed sum that names it, reveals a seed
 * (REVEAL); it answers with the digest of that part (DIGEST,
 * shared/p2p/digest.ts), so a relay cannot change it unnoticed.
 *
 * Weights go down the same tree: a TASK whose role forwards its weights
 * hands the payload to the page as it arrives (before this tab decodes
 * it), and a task whose weights come from the parent waits for them,
 * checked, or asks the coordinator (treeWeights.ts).
 */
const KEEP_ROLES = 64;
/** Own parts kept for a digest: a few steps' worth (a REVEAL comes within the step). */
const KEEP_PARTS = 4;

interface OwnPart {
  step: number;
  count: number;
  lossSum: number;
  grad: Float32Array;
  /** The rounding the codec added on this tab's hops up for the task (page's to its parent, ours to the coordinator). */
  codecErr: number;
}

export class SessionTree {
  private readonly roles = new Map<number, TreeBody>();
  private readonly versions = new Map<number, number>();
  private readonly parts = new Map<number, OwnPart>();
  private id: string | null = null;
  /** Digests sent (for the page's status and tests). */
  digests = 0;
  /** Weights from the parent tab, checked, or fetched from the coordinator. */
  readonly weights: TreeWeights;

  constructor(
    private readonly call: (c: P2pCall) => void,
    private readonly send: (frame: Uint8Array) => void,
    private readonly encode: (grad: Float32Array) => TensorPayload,
  ) {
    this.weights = new TreeWeights((want) => this.send(encodeP2p({ id: this.id, note: '', broken: [], want })));
  }

  /** `codec`: the run's --compress and the weight tensors' lengths, for the sums the page sends up its data channels. */
  welcome(peerId: string, params: number, codec?: { spec: CompressSpec; segments: number[] }): void {
    this.roles.clear();
    this.versions.clear();
    this.parts.clear();
    this.call({ kind: 'open', peerId, params, ...(codec ? { codec } : {}) });
  }

  role(r: TreeBody): void {
    this.roles.set(r.taskId, r);
    while (this.roles.size > KEEP_ROLES) this.roles.delete(this.roles.keys().next().value as number);
    this.weights.role(r);
    this.call({ kind: 'role', role: r });
  }

  /** A TASK came: a relay passes its weights on to the children its role names, before it decodes them itself. */
  task(t: TaskFrame): void {
    const forward = this.roles.get(t.taskId)?.forward ?? [];
    if (forward.length === 0 || t.weights.codec === TensorCodec.NONE) return;
    const delta = (t.flags & TaskFlag.WEIGHTS_DELTA) !== 0;
    this.call({ kind: 'weights', step: t.step, message: encodeWeightsDown({ step: t.step, weightsVersion: t.weightsVersion, delta, baseVersion: t.baseVersion, weights: t.weights }) });
  }

  /** The weights of a task whose TASK carried none because they come down the tree; null: none to wait for, or not in time. */
  weightsFor(t: TaskFrame): Promise<TaskWeights | null> | null {
    if (t.weights.codec !== TensorCodec.NONE || !this.weights.expects(t.taskId)) return null;
    return this.weights.wait(t.taskId);
  }

  /** A WEIGHTS frame: true when it answers our request for a task's weights. */
  starWeights(w: WeightsFrame): boolean {
    return this.weights.fromCoordinator(w);
  }

  /** True when the gradient went to the tree (then the session sends no GRAD for it). */
  own(t: { taskId: number; step: number; weightsVersion: number }, g: { count: number; lossSum: number; grad: Float32Array }, computeMs: number, peerId: string): boolean {
    if (this.id === null || !this.roles.has(t.taskId)) return false;
    this.roles.delete(t.taskId);
    this.versions.set(t.taskId, t.weightsVersion);
    // A copy: the trainer may reuse its buffer for the next task before the seed comes.
    this.parts.set(t.taskId, { step: t.step, count: g.count, lossSum: g.lossSum, grad: Float32Array.from(g.grad), codecErr: 0 });
    while (this.parts.size > KEEP_PARTS) this.parts.delete(this.parts.keys().next().value as number);
    this.call({ kind: 'own', taskId: t.taskId, step: t.step, count: g.count, lossSum: g.lossSum, computeMs, grad: g.grad, peerId });
    return true;
  }

  /** The coordinator holds a sum that names our task: the digest of our own part, with the seed it just drew. */
  reveal(r: RevealBody): void {
    const part = this.parts.get(r.taskId);
    if (!part || part.step !== r.step) return;
    this.parts.delete(r.taskId);
    this.digests++;
    this.send(encodeDigest({ ...r, digest: digestOf(part.grad, part.count, part.lossSum, r.seed, part.codecErr) }));
  }

  reply(r: P2pReply): void {
    if (r.kind === 'weights') return this.weights.fromParent(r.message);
    if (r.kind === 'hop') {
      const part = this.parts.get(r.taskId);
      if (part) part.codecErr += r.codecErr;
      return;
    }
    if (r.kind === 'opened') {
      this.id = r.id;
      this.send(encodeP2p({ id: r.id, note: r.note, broken: [] }));
      return;
    }
    const weightsVersion = this.versions.get(r.taskId);
    this.versions.delete(r.taskId);
    if (weightsVersion === undefined) return;
    if (r.broken.length > 0) this.send(encodeP2p({ id: this.id, note: 'a data channel did not open', broken: r.broken }));
    const computeMs = r.covers.find((c) => c.taskId === r.taskId)?.computeMs ?? 0;
    const grad = this.encode(r.grad);
    // the run's codec on our hop to the coordinator: its rounding goes in our digest too (top-k is not projected)
    const part = this.parts.get(r.taskId);
    if (part && (grad.codec === TensorCodec.FP16 || grad.codec === TensorCodec.INT8)) part.codecErr += l2Diff(decodeTensor(grad, new Float32Array(r.grad.length)), r.grad);
    const g = { taskId: r.taskId, step: r.step, weightsVersion, count: r.count, computeMs, lossSum: r.lossSum, grad, state: new Float32Array(0) };
    // Always RELAYED (even one task): the coordinator then counts it only while every named task is still live.
    this.send(encodeRelayed(g, { covers: r.covers }));
  }
}
