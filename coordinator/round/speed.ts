/**
 * A peer's cost model: a shard of n samples takes overheadMs + n * msPerSample.
 * The fixed part (weights upload, kernel launches, readback) dominates small
 * shards on WebGL, so a per-sample rate alone would read a peer given a small
 * shard as slow and give it ever less work. The warm-up measures both parts;
 * every returned shard refines the per-sample cost.
 */
export interface SpeedModel {
  msPerSample: number;
  overheadMs: number;
}

const BLEND = 0.3;
const MIN_MS_PER_SAMPLE = 1e-4;

export function speedModel(samplesPerSec: number, overheadMs = 0): SpeedModel {
  const ok = Number.isFinite(samplesPerSec) && samplesPerSec > 0;
  return { msPerSample: ok ? Math.max(MIN_MS_PER_SAMPLE, 1000 / samplesPerSec) : 1, overheadMs: Math.max(0, overheadMs || 0) };
}

/** The model after a shard of `count` samples took `ms`. */
export function observe(m: SpeedModel, count: number, ms: number): SpeedModel {
  if (!(ms > 0) || !(count > 0)) return m;
  // A shard faster than the assumed overhead means the overhead was overestimated.
  const overheadMs = Math.min(m.overheadMs, 0.9 * ms);
  const perSample = Math.max(MIN_MS_PER_SAMPLE, (ms - overheadMs) / count);
  return { overheadMs, msPerSample: (1 - BLEND) * m.msPerSample + BLEND * perSample };
}

export function expectedMs(m: SpeedModel, n: number): number {
  return n > 0 ? m.overheadMs + n * m.msPerSample : 0;
}

/** Throughput at a given shard size, for people and for ordering peers. */
export function samplesPerSec(m: SpeedModel, n = 64): number {
  return (1000 * n) / Math.max(1e-3, expectedMs(m, n));
}

/**
 * A shard still out after `elapsedMs` (its deadline passed): it takes at
 * least that long, so the model slows towards it (never speeds up).
 */
export function missed(m: SpeedModel, count: number, elapsedMs: number): SpeedModel {
  if (!(count > 0) || !(elapsedMs > expectedMs(m, count))) return m;
  const perSample = Math.max(MIN_MS_PER_SAMPLE, (elapsedMs - m.overheadMs) / count);
  return { overheadMs: m.overheadMs, msPerSample: (1 - BLEND) * m.msPerSample + BLEND * perSample };
}

/** How far a measured shard may be slower than the warm-up claim before the claim is discarded. */
export const CLAIM_TOLERANCE = 2;

/**
 * The first shard a peer returns checks the speed it claimed at warm-up: a
 * peer more than CLAIM_TOLERANCE times slower than it said is measured
 * instead of believed. Both parts of the model scale by the factor the shard
 * was slower (a small first shard is mostly fixed cost: reading the whole
 * excess as per-sample cost would starve the peer of work).
 */
export function checkClaim(m: SpeedModel, count: number, ms: number): { model: SpeedModel; refuted: boolean } {
  const f = ms / Math.max(expectedMs(m, count), 1e-3);
  if (!(count > 0) || !(f > CLAIM_TOLERANCE)) return { model: observe(m, count, ms), refuted: false };
  return { model: { overheadMs: m.overheadMs * f, msPerSample: m.msPerSample * f }, refuted: true };
}
