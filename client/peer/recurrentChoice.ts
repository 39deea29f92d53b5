import { BACKEND_ORDER, type BackendName, type Capabilities } from './backendChoice';

/**
 * Recurrent models (the char RNN's LSTM, GRU, SimpleRNN) on WebGL: tfjs
 * unrolls the T time steps into dozens of small ops, and WebGL compiles a
 * shader program for each op at each new batch shape. Measured in headless
 * Chromium on SwiftShader (an LSTM of 16 units, T = 8, 28 characters;
 * /tmp probe, machine under load): 11-24 s for each new shard shape, and
 * 0.26-1 s per step once compiled, against 0.2-0.7 s per step on cpu with no
 * compile at all. Warming WebGL up for a few shard shapes costs minutes, so a
 * tab timing its backends for a recurrent model times the CPU-side ones
 * (wasm, cpu) and keeps the faster; `?backend=webgl` still forces WebGL and
 * `?backend=all` times everything.
 */
export const RECURRENT_NOTE = 'recurrent model: WebGL compiles a shader per op per batch shape (10-25 s each on a software GPU), so wasm and cpu were timed';

const RECURRENT_LAYERS = new Set(['LSTM', 'GRU', 'SimpleRNN', 'RNN', 'ConvLSTM2D']);

/** Whether a tfjs layers topology (WELCOME's) holds a recurrent layer, at any depth (wrappers included). */
export function isRecurrent(topology: unknown): boolean {
  if (Array.isArray(topology)) return topology.some(isRecurrent);
  if (topology === null || typeof topology !== 'object') return false;
  const o = topology as Record<string, unknown>;
  if (typeof o.class_name === 'string' && RECURRENT_LAYERS.has(o.class_name)) return true;
  return Object.values(o).some(isRecurrent);
}

/** The backends a recurrent model is timed on: the CPU-side ones this context has (cpu always exists in tfjs). */
export function recurrentCandidates(caps: Capabilities): BackendName[] {
  const have = BACKEND_ORDER.filter((b) => (b === 'wasm' || b === 'cpu') && caps[b]?.ok);
  return have.length > 0 ? have : ['cpu'];
}
