import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * Picks the fastest backend this browser can run, in order WebGL, wasm, cpu,
 * and says which and why, in words a person can read on the page.
 */
export interface BackendChoice {
  backend: 'webgl' | 'wasm' | 'cpu';
  note: string;
  renderer: string;
}

export async function chooseBackend(wanted?: string | null): Promise<BackendChoice> {
  const tried: string[] = [];
  const order = (['webgl', 'wasm', 'cpu'] as const).filter((b) => !wanted || b === wanted || b === 'cpu');
  for (const b of order) {
    try {
      if (b === 'wasm') setWasmPaths('/wasm/');
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

/** The GPU's name where the browser tells it (SwiftShader in headless Chromium). */
function rendererName(): string {
  try {
    const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
    if (!gl) return '';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  } catch {
    return '';
  }
}
