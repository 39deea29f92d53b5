import { decodeWeightsDown, weightsChecksum, type WeightsDown } from '../../shared/p2p/weightsDown';
import type { TensorPayload, TreeBody, WeightsFrame } from '../../shared/protocol';
import { TaskFlag } from '../../shared/protocol';

/**
 * The session's side of weights down the tree (`--p2p`): a TREE whose
 * `weights` is set says this task's weights come from the parent tab, with
 * the version and checksum (shared/p2p/weightsDown.ts) the coordinator
 * computed. The tab installs them only if they match; when they do not
 * come within the TREE's bounded wait (the relay left, stalled, or its
 * channel never opened), or come damaged, it asks the coordinator for them
 * over its own socket (P2P `want`; the answer is a WEIGHTS frame) and
 * counts a fallback. Either way a task is computed on exactly the
 * coordinator's weights, or not at all (a second bounded wait; then the
 * coordinator's deadline redoes the shard).
 */
export interface TaskWeights {
  weights: TensorPayload;
  weightsVersion: number;
  flags: number;
  baseVersion: number;
}

export interface Clock {
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(t: unknown): void;
}

const realClock: Clock = { now: () => Date.now(), setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>) };

/** How long a tab waits for the coordinator's answer once it asked (a lost answer: the shard's deadline redoes it). */
export const ASKED_WAIT_MS = 30_000;
const KEEP = 16;

interface Expect {
  step: number;
  version: number;
  sum: number;
  /** On the clock: when the tab stops waiting for its parent (the TREE's wait after the TREE came). */
  until: number;
  waitMs: number;
  /** Checked weights from the parent, or why they were refused. */
  got: WeightsDown | null;
  bad: string | null;
}

interface Waiter {
  taskId: number;
  version: number;
  asked: boolean;
  timer: unknown;
  resolve: (w: TaskWeights | null) => void;
}

export interface WantWeights {
  step: number;
  taskId: number;
  version: number;
  why: string;
}

export class TreeWeights {
  private readonly expected = new Map<number, Expect>();
  private waiter: Waiter | null = null;
  /** Tasks whose weights came down the tree intact; fetched from the coordinator instead; refused (wrong version or checksum). */
  readonly counts = { viaTree: 0, fallbacks: 0, refused: 0 };

  constructor(
    private readonly want: (w: WantWeights) => void,
    private readonly clock: Clock = realClock,
  ) {}

  /** A TREE role: remember what to expect when its weights come from the parent. */
  role(r: TreeBody): void {
    if (!r.weights) return;
    this.expected.set(r.taskId, { step: r.step, version: r.weights.version, sum: r.weights.sum, until: this.clock.now() + r.weights.waitMs, waitMs: r.weights.waitMs, got: null, bad: null });
    while (this.expected.size > KEEP) this.expected.delete(this.expected.keys().next().value as number);
  }

  expects(taskId: number): boolean {
    return this.expected.has(taskId);
  }

  /** Bytes from the parent tab: checked against the role of their step; a waiting task takes them at once. */
  fromParent(message: Uint8Array): void {
    let d: WeightsDown;
    try {
      d = decodeWeightsDown(message);
    } catch {
      this.counts.refused++;
      return;
    }
    const entry = [...this.expected.entries()].find(([, e]) => e.step === d.step);
    if (!entry) return; // not ours (an old step, or weights this tab gets with its TASK)
    const [taskId, e] = entry;
    if (e.got) return;
    const sum = weightsChecksum(d);
    if (d.weightsVersion !== e.version || sum !== e.sum) {
      this.counts.refused++;
      e.bad = d.weightsVersion !== e.version ? `the tree brought version ${d.weightsVersion}, not ${e.version}` : 'the tree brought weights whose checksum does not match';
      if (this.waiter?.taskId === taskId && !this.waiter.asked) this.ask(taskId, e, e.bad);
      return;
    }
    e.got = d;
    if (this.waiter?.taskId === taskId && !this.waiter.asked) this.settle(taskId, e);
  }

  /** A WEIGHTS frame from the coordinator: true when it answers this tab's request (then it is this task's weights). */
  fromCoordinator(w: WeightsFrame): boolean {
    const waiter = this.waiter;
    if (!waiter?.asked || w.weightsVersion !== waiter.version) return false;
    this.finish({ weights: w.weights, weightsVersion: w.weightsVersion, flags: 0, baseVersion: 0 });
    return true;
  }

  /** The weights of `taskId` (whose TASK carried none), or null when they could not be had in time. */
  wait(taskId: number): Promise<TaskWeights | null> {
    const e = this.expected.get(taskId);
    if (!e) return Promise.resolve(null);
    this.finish(null); // one task at a time: an older wait is over
    return new Promise((resolve) => {
      this.waiter = { taskId, version: e.version, asked: false, timer: null, resolve };
      if (e.got) return this.settle(taskId, e);
      if (e.bad) return this.ask(taskId, e, e.bad);
      const left = Math.max(0, e.until - this.clock.now());
      this.waiter.timer = this.clock.setTimeout(() => this.ask(taskId, e, `they did not come down the tree within ${e.waitMs} ms of the TREE`), left);
    });
  }

  private settle(taskId: number, e: Expect): void {
    const d = e.got!;
    this.expected.delete(taskId);
    this.counts.viaTree++;
    this.finish({ weights: d.weights, weightsVersion: d.weightsVersion, flags: d.delta ? TaskFlag.WEIGHTS_DELTA : 0, baseVersion: d.baseVersion });
  }

  private ask(taskId: number, e: Expect, why: string): void {
    const waiter = this.waiter;
    if (!waiter || waiter.taskId !== taskId) return;
    this.expected.delete(taskId);
    this.clock.clearTimeout(waiter.timer);
    waiter.asked = true;
    this.counts.fallbacks++;
    this.want({ step: e.step, taskId, version: e.version, why });
    waiter.timer = this.clock.setTimeout(() => this.finish(null), ASKED_WAIT_MS);
  }

  private finish(w: TaskWeights | null): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    this.clock.clearTimeout(waiter.timer);
    waiter.resolve(w);
  }
}
