import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * Picks the fastest backend this context can run, in order WebGL, wasm, cpu,
 * and says which and why, in words a person can read on the page. Runs in the
 * page or in a Web Worker: in a worker WebGL goes through OffscreenCanvas.
 */
export type BackendName = 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  backend: BackendName;
  note: string;
  renderer: string;
}

export async function chooseBackend(wanted?: string | null): Promise<BackendChoice> {
  const tried: string[] = [];
  const order = (['webgl', 'wasm', 'cpu'] as const).filter((b) => !wanted || b === wanted || b === 'cpu');
  for (const b of order) {
    try {
      // Absolute: a worker resolves relative paths against its script's URL.
      if (b === 'wasm') setWasmPaths(new URL('/wasm/', location.href).toString());
      const ok = await tf.setBackend(b);
      await tf.ready();
      if (ok && tf.getBackend() === b) {
        const note = tried.length === 0 ? `${b}: first choice` : `${b}: ${tried.join('; ')}`;
        return { backend: b, note, renderer: b === 'webgl' ? rendererName() : '' };
      }
      tried.push(`${b} unavailable`);
    } catch (e) {
      tried.push(`${b} failed (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  throw new Error(`no tfjs backend works here: ${tried.join('; ')}`);
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
