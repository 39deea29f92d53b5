/**
 * Which tfjs backend a tab computes on, decided by measurement: no fixed
 * order is right (WebGPU beats WebGL on some GPUs and loses on others for
 * small models; wasm beats a slow WebGL), so at warm-up the tab times the
 * model's own gradient on every backend it has and keeps the fastest at the
 * shard size it expects. Pure: the browser part (backend.ts) measures, this
 * decides, and its test needs no browser.
 */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Tried in this order; the order only breaks exact ties and names the provisional choice. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgl', 'webgpu', 'wasm', 'cpu'];

/** What a context offers before anything is timed: each backend, or why it is missing. */
export type Capabilities = Partial<Record<BackendName, { ok: true } | { ok: false; reason: string }>>;

/** One backend's warm-up on the model: its fitted cost (ms = overheadMs + n * 1000 / samplesPerSec), or why it failed. */
export type Timing = { backend: BackendName; samplesPerSec: number; overheadMs: number } | { backend: BackendName; error: string };

export interface Decision {
  backend: BackendName;
  /** ms per shard of `shard` samples, per backend timed. */
  msAt: Partial<Record<BackendName, number>>;
  /** For people: every backend with its time or why it was not used, the kept one first. */
  note: string;
}

export function shardMs(t: { samplesPerSec: number; overheadMs: number }, n: number): number {
  return t.overheadMs + (1000 * n) / t.samplesPerSec;
}

/** The backends worth timing: the one `?backend=` forces (if this context has it), else all it has. */
export function candidates(caps: Capabilities, forced: string | null): BackendName[] {
  const have = BACKEND_ORDER.filter((b) => caps[b]?.ok);
  if (forced) return have.filter((b) => b === forced);
  return have;
}

/** Keeps the fastest at `shard` samples; ties go to the earlier backend in BACKEND_ORDER. */
export function decide(timings: readonly Timing[], caps: Capabilities, shard: number, forced: string | null = null): Decision {
  const msAt: Partial<Record<BackendName, number>> = {};
  let best: BackendName | null = null;
  for (const b of BACKEND_ORDER) {
    const t = timings.find((x) => x.backend === b);
    if (!t || 'error' in t || !(t.samplesPerSec > 0) || !Number.isFinite(t.overheadMs)) continue;
    const ms = shardMs(t, shard);
    msAt[b] = ms;
    if (best === null || ms < msAt[best]!) best = b;
  }
  if (best === null) {
    const why = BACKEND_ORDER.map((b) => whyNot(b, timings, caps, forced)).filter((x): x is string => x !== null);
    throw new Error(`no tfjs backend could run this model here: ${why.join('; ')}`);
  }
  const parts = [`${best} ${fmt(msAt[best]!)} (kept${forced ? `, as ?backend=${forced} asks` : ', fastest'})`];
  for (const b of BACKEND_ORDER) {
    if (b === best) continue;
    parts.push(msAt[b] !== undefined ? `${b} ${fmt(msAt[b]!)}` : (whyNot(b, timings, caps, forced) ?? `${b} not tried`));
  }
  return { backend: best, msAt, note: `per shard of ${shard}: ${parts.join(', ')}` };
}

function whyNot(b: BackendName, timings: readonly Timing[], caps: Capabilities, forced: string | null): string | null {
  const t = timings.find((x) => x.backend === b);
  if (t && 'error' in t) return `${b} failed (${t.error})`;
  const c = caps[b];
  if (c && !c.ok) return `${b} missing (${c.reason})`;
  if (forced && b !== forced) return `${b} not tried (?backend=${forced})`;
  return null;
}

function fmt(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}
