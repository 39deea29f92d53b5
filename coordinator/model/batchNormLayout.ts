import type { ModelDescription } from './describe';

/**
 * Where each batch-norm layer's moving statistics sit in the state part of
 * the flat weights, and its momentum: what the coordinator needs to combine
 * the shards' batch statistics exactly (see ParamStore).
 */
export interface BatchNormSlot {
  /** Offsets into the state array (after the trainable weights). */
  meanAt: number;
  varianceAt: number;
  size: number;
  momentum: number;
}

type Json = Record<string, unknown>;

/** tfjs-layers' default BatchNormalization momentum. */
const DEFAULT_MOMENTUM = 0.99;

export function batchNormLayout(d: ModelDescription): BatchNormSlot[] {
  const state = d.specs.filter((s) => !s.trainable);
  const offsets = new Map<string, { at: number; size: number }>();
  let at = 0;
  for (const s of state) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    offsets.set(s.name, { at, size });
    at += size;
  }
  const slots: BatchNormSlot[] = [];
  for (const layer of topologyLayers(d.topology)) {
    if (layer.class_name !== 'BatchNormalization') continue;
    const config = (layer.config ?? {}) as Json;
    const name = String(config.name);
    const mean = offsets.get(`${name}/moving_mean`);
    const variance = offsets.get(`${name}/moving_variance`);
    if (!mean || !variance) continue;
    const momentum = typeof config.momentum === 'number' ? config.momentum : DEFAULT_MOMENTUM;
    slots.push({ meanAt: mean.at, varianceAt: variance.at, size: mean.size, momentum });
  }
  return slots;
}

function topologyLayers(topology: Json): Json[] {
  const config = topology.config as Json | undefined;
  return config && Array.isArray(config.layers) ? (config.layers as Json[]) : [];
}
