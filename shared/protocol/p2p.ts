import { z } from 'zod';
import { fail } from '../errors';
import { MessageCode } from './codes';
import { FrameReader, FrameWriter, align4, jsonFrame } from './frame';
import { decodeGrad, encodeGrad, type GradFrame } from './tensors';
import { digestSchema } from '../p2p/digest';

/**
 * The `--p2p` messages between a tab and the coordinator (the sums
 * themselves travel tab to tab on data channels, shared/p2p/treeSum.ts):
 *
 *   TREE     [0x0b][json TreeBody]   the tab's place in one step's reduction tree
 *   P2P      [0x0c][json P2pBody]    the tab's PeerJS id (or why it has none), links that failed
 *   RELAYED  [0x0d][3 zero][u32 gradBytes][GRAD frame][pad to 4][json RelayedBody]
 *   REVEAL   [0x0e][json RevealBody]  the seed for the digest of a tab's part of a relayed sum
 *   DIGEST   [0x0f][json DigestBody]  that digest (shared/p2p/digest.ts), over the tab's own socket
 *
 * RELAYED is a subtree's gradient sum in an ordinary GRAD frame (its task id
 * is the sender's own task), followed by the list of tasks the sum covers
 * (every tab of the subtree whose sum made it in), so the coordinator's
 * ledger covers each of those shards exactly once. The GRAD sits at byte 8,
 * so its tensors stay 4-byte aligned.
 */
const id = z.string().min(1).max(100);

export const treeBody = z
  .object({
    step: z.number().int().nonnegative(),
    /** The task this role belongs to: the tab relays for this task only (backups and other tasks go on the star). */
    taskId: z.number().int().positive(),
    /** PeerJS id of the parent tab, or null: this tab sends its subtree's sum to the coordinator. */
    parent: id.nullable(),
    /** PeerJS ids of the children whose sums this tab adds to its own. */
    children: z.array(id).max(64),
    /** How long after this message a relay waits for its children (and its own gradient) before sending what it has. */
    waitMs: z.number().int().min(0).max(600_000),
    /**
     * This task's weights come down the tree from the parent (the TASK carries none): the version and checksum
     * (shared/p2p/weightsDown.ts) to check them against, and how long to wait before asking the coordinator for them.
     */
    weights: z
      .object({
        version: z.number().int().nonnegative(),
        sum: z.number().int().min(0).max(2 ** 32 - 1),
        waitMs: z.number().int().min(0).max(600_000),
      })
      .strict()
      .optional(),
    /** PeerJS ids of the children this tab passes this task's weights on to (the bytes it receives, as they are). */
    forward: z.array(id).max(64).optional(),
  })
  .strict();
export type TreeBody = z.infer<typeof treeBody>;

export const p2pBody = z
  .object({
    /** This tab's PeerJS id, or null: it has no WebRTC or its signalling failed (it stays on the star). */
    id: id.nullable(),
    note: z.string().max(300).default(''),
    /** PeerJS ids of parents this tab could not open a data channel to. */
    broken: z.array(id).max(64).default([]),
    /** The weights of this task did not come down the tree in time, or not intact: send them over this socket (WEIGHTS). */
    want: z
      .object({ step: z.number().int().nonnegative(), taskId: z.number().int().positive(), version: z.number().int().nonnegative(), why: z.string().max(200) })
      .strict()
      .optional(),
  })
  .strict();
export type P2pBody = z.infer<typeof p2pBody>;

export const cover = z
  .object({
    /** The coordinator's id of the tab that computed this part. */
    peer: id,
    taskId: z.number().int().positive(),
    count: z.number().int().nonnegative(),
    computeMs: z.number().nonnegative().finite(),
  })
  .strict();
export type Cover = z.infer<typeof cover>;

export const relayedBody = z.object({ covers: z.array(cover).min(1).max(4096) }).strict();
export type RelayedBody = z.infer<typeof relayedBody>;

export const revealBody = z
  .object({
    step: z.number().int().nonnegative(),
    /** The tab's own task whose part the relayed sum holds. */
    taskId: z.number().int().positive(),
    /** Seed of the ±1 projections (shared/p2p/digest.ts), drawn after the sum arrived. */
    seed: z.number().int().min(0).max(2 ** 32 - 1),
  })
  .strict();
export type RevealBody = z.infer<typeof revealBody>;

export const digestBody = revealBody.extend({ digest: digestSchema }).strict();
export type DigestBody = z.infer<typeof digestBody>;

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw fail('FRAME_INVALID', `${what} body is invalid${where}: ${issue?.message ?? 'unknown problem'}`);
  }
  return r.data;
}

const code = (c: number) => (w: FrameWriter) => w.u8(0, c);
export const encodeTree = (b: TreeBody): Uint8Array => jsonFrame(1, b, code(MessageCode.TREE));
export const encodeP2p = (b: P2pBody): Uint8Array => jsonFrame(1, b, code(MessageCode.P2P));
export const decodeTree = (f: Uint8Array): TreeBody => parse(treeBody, new FrameReader(f, 'TREE').json(1), 'TREE');
export const encodeReveal = (b: RevealBody): Uint8Array => jsonFrame(1, b, code(MessageCode.REVEAL));
export const encodeDigest = (b: DigestBody): Uint8Array => jsonFrame(1, b, code(MessageCode.DIGEST));
export const decodeReveal = (f: Uint8Array): RevealBody => parse(revealBody, new FrameReader(f, 'REVEAL').json(1), 'REVEAL');
export const decodeDigest = (f: Uint8Array): DigestBody => parse(digestBody, new FrameReader(f, 'DIGEST').json(1), 'DIGEST');
export const decodeP2p = (f: Uint8Array): P2pBody => parse(p2pBody, new FrameReader(f, 'P2P').json(1), 'P2P');

const RELAYED_HEAD = 8;

export function encodeRelayed(g: GradFrame, body: RelayedBody): Uint8Array {
  const grad = encodeGrad(g);
  const json = new TextEncoder().encode(JSON.stringify(body));
  const jsonAt = align4(RELAYED_HEAD + grad.byteLength);
  const w = new FrameWriter(jsonAt + json.byteLength);
  w.u8(0, MessageCode.RELAYED);
  w.u32(4, grad.byteLength);
  w.raw(RELAYED_HEAD, grad);
  w.raw(jsonAt, json);
  return w.bytes;
}

export function decodeRelayed(frame: Uint8Array): { grad: GradFrame; body: RelayedBody } {
  const r = new FrameReader(frame, 'RELAYED');
  const gradBytes = r.u32(4, 'GRAD length');
  const grad = decodeGrad(r.slice(RELAYED_HEAD, gradBytes, 'GRAD frame'));
  const jsonAt = align4(RELAYED_HEAD + gradBytes);
  r.need(jsonAt, 2, 'covered tasks');
  const body = parse(relayedBody, new FrameReader(frame.subarray(jsonAt), 'RELAYED').json(0), 'RELAYED');
  const total = body.covers.reduce((a, c) => a + c.count, 0);
  if (total !== grad.count) throw fail('FRAME_INVALID', `RELAYED sum covers ${grad.count} samples, its tasks add up to ${total}`);
  if (!body.covers.some((c) => c.taskId === grad.taskId)) throw fail('FRAME_INVALID', `RELAYED GRAD names task ${grad.taskId}, which is not among the tasks it covers`);
  if (new Set(body.covers.map((c) => c.taskId)).size !== body.covers.length) throw fail('FRAME_INVALID', 'RELAYED names a task twice');
  return { grad, body };
}

/** The dashboard's view of the trees (coordinator/p2p/plane.ts): who relays for whom, and gradient bytes per step. */
const n = z.number().int().nonnegative();
export const p2pView = z.object({
  enabled: z.boolean(),
  fanIn: n,
  step: z.number().int(),
  roots: z.array(z.string()),
  relays: z.record(z.string(), z.array(z.string())),
  star: z.array(z.string()),
  depth: n,
  tabs: z.array(z.object({ peer: z.string(), id: z.string().nullable(), note: z.string() })),
  broken: z.array(z.string()),
  recent: z.array(z.object({ step: n, bytes: n, frames: n, tree: n, star: n, weightsOut: n.default(0) })),
  relayed: z.object({ accepted: n, dropped: n, stale: n }),
  digests: z.object({ passed: n, failed: n, waiting: n }).default({ passed: 0, failed: 0, waiting: 0 }),
  rejections: z.array(z.object({ step: n, from: z.string(), relays: z.array(z.string()), reason: z.string() })).default([]),
  gradBytes: n,
  gradFrames: n,
  /** Weights bytes out of the coordinator (TASK payloads and fallback WEIGHTS); tasks whose weights went down a tree; tabs that asked for them instead. */
  weights: z.object({ outBytes: n, viaTree: n, fallbacks: n }).default({ outBytes: 0, viaTree: 0, fallbacks: 0 }),
});
export type P2pViewBody = z.output<typeof p2pView>;
