/**
 * Spot checks, as BOINC does with redundant work units: a fraction of shards
 * (--spot-check F) is computed by a second peer on the same weights and the
 * two gradient sums compared. They agree when
 *   ||a - b|| / max(||a||, ||b||) <= tolerance
 * (honest backends differ only in float rounding: see DEFAULT_TOLERANCE).
 * Two that disagree cannot say who lied: a third peer referees, and whoever
 * disagrees with the majority takes a strike; the others pass. A peer with
 * `strikes` failed checks and more failures than passes is quarantined, and
 * the samples it had accepted since its last passed check are reported.
 *
 * Pure bookkeeping: the scheduler decides which shards to duplicate (`picks`),
 * sends them, and hands the results here; nothing here touches sockets.
 */

/**
 * Relative gradient difference honest peers stay under. Measured
 * (scripts/backend-diff.ts): tfjs cpu vs wasm on the same MNIST MLP shard of
 * 50 and the same weights differ by 1.1e-7 to 1.5e-7 (float32 rounding).
 * WebGL (headless Chromium, SwiftShader) vs tfjs cpu on the same shards:
 * at most 1.9e-7 to 2.4e-7 (e2e/spotcheck.spec.ts, the report's
 * spotChecks.maxAgreeing); a WebGL backend limited to 16-bit float
 * textures would round at ~1e-3 relative. 1e-2 sits 10x above that and 200x
 * below a sign flip (2.0); lower it for all-cpu/wasm fleets.
 */
export const DEFAULT_TOLERANCE = 1e-2;
export const DEFAULT_STRIKES = 3;

export interface SpotResult {
  peerId: string;
  grad: Float32Array;
}

export type SpotVerdict =
  /** Every result agreed: all passed. */
  | { kind: 'agree'; distance: number }
  /** Two results disagree: send the shard to a third peer, then call `settle` with all three. */
  | { kind: 'referee'; distance: number }
  /** Settled by majority: `failed` took a strike (and some may now be quarantined). */
  | { kind: 'settled'; passed: string[]; failed: string[]; quarantined: string[] }
  /** No majority (three-way disagreement): nobody is blamed. */
  | { kind: 'undecided' };

export interface PeerTrust {
  passed: number;
  failed: number;
  quarantined: boolean;
  /** Why, for the dashboard and the report. */
  reason: string;
  /** Samples of this peer's gradients accepted since its last passed check (suspect if it is quarantined). */
  acceptedSinceLastPass: number;
}

export interface SpotCheckOptions {
  fraction: number;
  tolerance?: number;
  strikes?: number;
  seed?: number;
}

export function relativeDistance(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    d += (x - y) * (x - y);
    na += x * x;
    nb += y * y;
  }
  if (!Number.isFinite(d)) return Number.POSITIVE_INFINITY;
  const scale = Math.sqrt(Math.max(na, nb));
  return scale === 0 ? 0 : Math.sqrt(d) / scale;
}

export type Distance = (a: Float32Array, b: Float32Array) => number;

/**
 * An evaluation result as the vector spot checks compare: [count, lossSum, ...confusion].
 * Regression passes have no confusion; their error sums stand in for it.
 */
export function evalVector(e: { count: number; lossSum: number; absErrSum: number; sqErrSum: number; confusion: Uint32Array }): Float32Array {
  const v = new Float32Array(4 + e.confusion.length);
  v[0] = e.count;
  v[1] = e.lossSum;
  v[2] = e.absErrSum;
  v[3] = e.sqErrSum;
  v.set(e.confusion, 4);
  return v;
}

/**
 * How far two evaluations of the same shard are apart, on the scale the
 * tolerance reads: the larger of the loss sums' (and error sums') relative
 * difference and the fraction of the shard's samples whose predicted class
 * differs (half the confusion matrices' L1 distance). With the default 1e-2, a
 * shard of 100 may differ in one near-tie prediction; a forged perfect matrix
 * or a zero loss is far outside.
 */
export function evalDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a[0] !== b[0]) return Number.POSITIVE_INFINITY;
  const rel = (x: number, y: number): number => (x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));
  let l1 = 0;
  for (let i = 4; i < a.length; i++) l1 += Math.abs(a[i]! - b[i]!);
  const d = Math.max(rel(a[1]!, b[1]!), rel(a[2]!, b[2]!), rel(a[3]!, b[3]!), l1 / 2 / Math.max(1, a[0]!));
  return Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
}

export class SpotChecker {
  readonly tolerance: number;
  readonly strikes: number;
  private readonly peers = new Map<string, PeerTrust>();

  constructor(private readonly o: SpotCheckOptions) {
    this.tolerance = o.tolerance ?? DEFAULT_TOLERANCE;
    this.strikes = o.strikes ?? DEFAULT_STRIKES;
  }

  /** Whether shard `shard` of step `step` is duplicated: a seeded hash, the same on every replay of the run. */
  picks(step: number, shard: number): boolean {
    if (this.o.fraction <= 0) return false;
    let h = (Math.imul(step ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(shard + 1, 0xc2b2ae35) ^ (this.o.seed ?? 1)) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    return h / 4294967296 < this.o.fraction;
  }

  trust(peerId: string): PeerTrust {
    let t = this.peers.get(peerId);
    if (!t) this.peers.set(peerId, (t = { passed: 0, failed: 0, quarantined: false, reason: '', acceptedSinceLastPass: 0 }));
    return t;
  }

  isQuarantined(peerId: string): boolean {
    return this.peers.get(peerId)?.quarantined ?? false;
  }

  /** An accepted gradient of `samples` samples from `peerId` (counted until its next passed check). */
  accepted(peerId: string, samples: number): void {
    this.trust(peerId).acceptedSinceLastPass += samples;
  }

  /** Two (or, after a referee, three) results of the same shard on the same weights. */
  settle(results: readonly SpotResult[], distanceOf: Distance = relativeDistance): SpotVerdict {
    if (results.length === 2) {
      const distance = distanceOf(results[0]!.grad, results[1]!.grad);
      if (distance <= this.tolerance) {
        for (const r of results) this.pass(r.peerId);
        return { kind: 'agree', distance };
      }
      return { kind: 'referee', distance };
    }
    // Each result's supporters: the others within tolerance of it.
    const support = results.map((r) => results.filter((o) => o !== r && distanceOf(r.grad, o.grad) <= this.tolerance).length);
    if (support.every((s) => s === 0)) return { kind: 'undecided' };
    const passed = results.filter((_, k) => support[k]! > 0).map((r) => r.peerId);
    const failed = results.filter((_, k) => support[k] === 0).map((r) => r.peerId);
    for (const id of passed) this.pass(id);
    const quarantined: string[] = [];
    for (const id of failed) if (this.fail(id)) quarantined.push(id);
    return { kind: 'settled', passed, failed, quarantined };
  }

  /** Every peer's record, for the status feed and the report. */
  table(): Record<string, PeerTrust> {
    return Object.fromEntries(this.peers);
  }

  private pass(peerId: string): void {
    const t = this.trust(peerId);
    t.passed++;
    t.acceptedSinceLastPass = 0;
  }

  /** A strike; true when it quarantines the peer now. */
  private fail(peerId: string): boolean {
    const t = this.trust(peerId);
    t.failed++;
    if (t.quarantined || t.failed < this.strikes || t.failed <= t.passed) return false;
    t.quarantined = true;
    t.reason = `disagreed with the majority in ${t.failed} spot checks (passed ${t.passed}); tolerance ${this.tolerance}`;
    return true;
  }
}
