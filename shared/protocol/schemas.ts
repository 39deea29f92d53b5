import { z } from 'zod';
import { LOSS_NAMES } from '../config/names';

/**
 * Schemas for the JSON bodies of control frames. Parsed at the boundary:
 * nothing past decode ever sees an unchecked field.
 */
const backend = z.enum(['webgl', 'webgpu', 'wasm', 'cpu', 'replay']);

export const helloBody = z
  .object({
    token: z.string().max(200),
    kind: z.enum(['tab', 'node']),
    backend,
    /** Why this backend (e.g. "webgl unavailable: no WebGL2 context"), shown to people. */
    backendNote: z.string().max(500).default(''),
    renderer: z.string().max(200).default(''),
    nickname: z.string().max(40).default(''),
    /** Given in an earlier WELCOME: resume under the same identity. */
    reconnectToken: z.string().max(200).default(''),
    /** Wire codecs this client can decode/encode. */
    codecs: z.array(z.number().int().min(0).max(255)).max(16).default([1]),
  })
  .strict();
export type HelloBody = z.infer<typeof helloBody>;

export const weightSpec = z
  .object({
    name: z.string(),
    shape: z.array(z.number().int().nonnegative()),
    trainable: z.boolean(),
  })
  .strict();
export type WeightSpec = z.infer<typeof weightSpec>;

export const welcomeBody = z
  .object({
    peerId: z.string(),
    reconnectToken: z.string(),
    runId: z.string(),
    model: z
      .object({
        /** tfjs layers (Keras) topology JSON, as `model.toJSON(null, false)` gives it. */
        topology: z.record(z.string(), z.unknown()),
        weights: z.array(weightSpec),
        trainableParams: z.number().int().nonnegative(),
        stateParams: z.number().int().nonnegative(),
      })
      .strict(),
    dataset: z
      .object({ url: z.string(), hash: z.string(), bytes: z.number().int().nonnegative(), name: z.string() })
      .strict(),
    loss: z.enum(LOSS_NAMES),
    /** Codec the coordinator wants gradients in. */
    gradCodec: z.number().int().min(1).max(255),
    /** The codec's parameter where it has one: top-k's fraction of values kept. */
    gradCodecParam: z.number().positive().max(1).optional(),
    /** Image augmentation on the tab (random shift and rotation). */
    augment: z.boolean().default(false),
    /** --p2p: tabs with WebRTC open a PeerJS node and report it (P2P); the TREE messages place them. */
    p2p: z.boolean().optional(),
    /**
     * Shard sizes (samples) the tab can expect: its share of a step in the
     * fleet as it is, then with one peer more and one fewer. The tab times
     * its warm-up on the first and compiles the others (WebGL compiles per
     * shape), so no step mid-run waits for a compile.
     */
    shardSizes: z.array(z.number().int().positive().max(1 << 20)).max(4).optional(),
  })
  .strict();
export type WelcomeBody = z.infer<typeof welcomeBody>;

export const readyBody = z
  .object({
    /** Per-sample throughput beyond the fixed cost of a shard. */
    samplesPerSec: z.number().positive().finite(),
    warmupMs: z.number().nonnegative().finite(),
    /** The fixed cost of any shard (upload, launches, readback), in ms. */
    overheadMs: z.number().nonnegative().max(600_000).optional(),
  })
  .strict();
export type ReadyBody = z.infer<typeof readyBody>;

export const statusBody = z
  .object({
    state: z.enum(['waiting', 'training', 'paused', 'evaluating', 'done']),
    step: z.number().int().nonnegative(),
    epoch: z.number().int().nonnegative(),
    peers: z.number().int().nonnegative(),
    loss: z.number().nullable(),
    valAccuracy: z.number().nullable(),
    you: z
      .object({
        steps: z.number().int().nonnegative(),
        samples: z.number().int().nonnegative(),
        share: z.number().min(0).max(1),
        rank: z.number().int().nonnegative(),
        /** Of how many peers the rank is (every peer seen this run); the page says "#2 of 5". */
        of: z.number().int().nonnegative().optional(),
        /** The name and speed the dashboard shows for this peer, so the page says the same. */
        name: z.string().max(64).optional(),
        speed: z.number().nonnegative().optional(),
      })
      .strict(),
  })
  .strict();
export type StatusBody = z.infer<typeof statusBody>;

export const errorBody = z.object({ code: z.string(), message: z.string() }).strict();
export type ErrorBody = z.infer<typeof errorBody>;

export const doneBody = z
  .object({ reason: z.string(), testAccuracy: z.number().nullable() })
  .strict();
export type DoneBody = z.infer<typeof doneBody>;
