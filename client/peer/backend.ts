import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Registers the 'webgpu' backend (tfjs 4.22, with the backprop kernels); nothing starts until it is set.
import '@tensorflow/tfjs-backend-webgpu';
import { BACKEND_ORDER, candidates, decide, type BackendName, type Capabilities, type Decision, type Timing } from './backendChoice';

/**
 * The browser side of the backend choice (backendChoice.ts decides): what
 * this context has (and why a backend is missing), and the timing of the
 * model's own gradient on each. Runs in the page or in a Web Worker: in a
 * worker WebGL goes through OffscreenCanvas and WebGPU through the worker's
 * navigator.gpu.
 */
export type { BackendName };

export interface BackendChoice {
  backend: BackendName;
  note: string;
  renderer: string;
}

/** What this context has, each backend set once to find out (and the GPU's name). */
export async function probeBackends(): Promise<{ caps: Capabilities; renderer: string }> {
  const caps: Capabilities = {};
  for (const b of BACKEND_ORDER) {
    const missing = b === 'webgpu' ? await webgpuMissing() : null;
    if (missing) {
      caps[b] = { ok: false, reason: missing };
      continue;
    }
    try {
      caps[b] = (await use(b)) ? { ok: true } : { ok: false, reason: `tfjs could not start ${b}` };
    } catch (e) {
      caps[b] = { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  }
  return { caps, renderer: caps.webgl?.ok ? rendererName() : '' };
}

/** The provisional backend (said in HELLO before the model is known): the first this context has. */
export async function provisional(caps: Capabilities, forced: string | null): Promise<BackendChoice> {
  const list = candidates(caps, forced);
  const b = list[0] ?? 'cpu';
  if (!(await use(b))) throw new Error(`no tfjs backend works here: ${missingNote(caps)}`);
  const note = forced && b !== forced ? `${forced} missing (${reasonOf(caps, forced)}), ${b} instead` : `${b}: to be measured on the model`;
  return { backend: b, note, renderer: b === 'webgl' ? rendererName() : '' };
}

export function missingNote(caps: Capabilities): string {
  return BACKEND_ORDER.flatMap((b) => {
    const c = caps[b];
    return c && !c.ok ? [`${b}: ${c.reason}`] : [];
  }).join('; ');
}

function reasonOf(caps: Capabilities, b: string): string {
  const c = caps[b as BackendName];
  return c && !c.ok ? c.reason : 'not a tfjs backend';
}

/** Something that can be warmed up on the current backend and then disposed. */
export interface Measurable {
  warmup(expected?: readonly number[]): Promise<{ samplesPerSec: number; overheadMs: number; warmupMs: number }>;
  dispose(): void;
}

/**
 * Times `build()`'s warm-up on every backend this context has (or only the
 * forced one), on the shard sizes the tab expects (`expected`, the first is
 * the one timed), keeps the fastest at that size and leaves that backend
 * set, with its warmed-up instance; the others are disposed.
 */
export async function measureBackends<T extends Measurable>(
  caps: Capabilities,
  forced: string | null,
  expected: readonly number[],
  build: () => Promise<T>,
  only: readonly BackendName[] = candidates(caps, forced),
): Promise<{ decision: Decision; kept: T; speed: { samplesPerSec: number; overheadMs: number; warmupMs: number } }> {
  const timings: Timing[] = [];
  const built = new Map<BackendName, { t: T; speed: { samplesPerSec: number; overheadMs: number; warmupMs: number } }>();
  for (const b of only) {
    let t: T | null = null;
    try {
      if (!(await use(b))) throw new Error(`tfjs could not start ${b}`);
      t = await build();
      const speed = await t.warmup(expected);
      built.set(b, { t, speed });
      timings.push({ backend: b, samplesPerSec: speed.samplesPerSec, overheadMs: speed.overheadMs });
    } catch (e) {
      t?.dispose();
      // e.g. wasm has no Conv2DBackpropFilter in tfjs 4.22: a CNN cannot train there.
      timings.push({ backend: b, error: (e instanceof Error ? e.message : String(e)).slice(0, 120) });
    }
  }
  const decision = decide(timings, caps, expected[0] ?? 128, forced);
  for (const [b, x] of built) {
    if (b === decision.backend) continue;
    await use(b);
    x.t.dispose();
  }
  await use(decision.backend);
  const kept = built.get(decision.backend)!;
  return { decision, kept: kept.t, speed: kept.speed };
}

async function use(b: BackendName): Promise<boolean> {
  // (WEBGL_USE_SHAPES_UNIFORMS would spare the compile of a new shard size, but measured in a worker on
  // SwiftShader it makes every step 1.4-2.4x slower, plain tfjs and tabtrain alike: bench/README.md.)
  // Absolute: a worker resolves relative paths against its script's URL.
  if (b === 'wasm') setWasmPaths(new URL('/wasm/', location.href).toString());
  const ok = await tf.setBackend(b);
  await tf.ready();
  return ok && tf.getBackend() === b;
}

/** Why WebGPU cannot run here, in words a person can act on; null when an adapter is there. */
async function webgpuMissing(): Promise<string | null> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return typeof isSecureContext !== 'undefined' && !isSecureContext ? 'WebGPU needs a secure context (https or localhost)' : 'this browser has no WebGPU (navigator.gpu is missing)';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'no WebGPU adapter: no usable GPU, or the GPU is blocklisted (headless Chromium needs --enable-unsafe-webgpu)';
  } catch (e) {
    return `requesting a WebGPU adapter failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return null;
}

type AnyGL = WebGLRenderingContext | WebGL2RenderingContext;

/** A throwaway WebGL context: a DOM canvas in the page, an OffscreenCanvas in a worker. */
export function probeContext(): AnyGL | null {
  try {
    if (typeof document !== 'undefined') {
      const c = document.createElement('canvas');
      return c.getContext('webgl2') ?? c.getContext('webgl');
    }
    if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(1, 1).getContext('webgl2');
  } catch {
    // no WebGL here
  }
  return null;
}

/** The GPU's name where the browser tells it (SwiftShader in headless Chromium). */
function rendererName(): string {
  try {
    const gl = probeContext();
    if (!gl) return '';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  } catch {
    return '';
  }
}
