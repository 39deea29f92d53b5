/**
 * Wire message codes: one byte at offset 0 of every binary frame, all under
 * 128 so a future varint or flag bit has room. Direction in the comment.
 */
export const MessageCode = {
  /** client -> coordinator: version, join token, who I am. */
  HELLO: 0x01,
  /** coordinator -> client: peer id, model topology, dataset address. */
  WELCOME: 0x02,
  /** client -> coordinator: warmed up, measured speed. */
  READY: 0x03,
  /** coordinator -> client: compute these sample indices (train or eval), maybe with new weights. */
  TASK: 0x04,
  /** client -> coordinator: gradient sum and loss sum over a train task. */
  GRAD: 0x05,
  /** client -> coordinator: loss sum, confusion matrix and error sums over an eval task. */
  EVAL_RESULT: 0x06,
  /** coordinator -> client: run status for the volunteer page (JSON). */
  STATUS: 0x07,
  /** coordinator -> client: the reason for the close that follows (JSON). */
  ERROR: 0x08,
  /** coordinator -> client: training has ended (JSON). */
  DONE: 0x09,
  /** coordinator -> client: the latest weights without a task (idle peers, the drawing pad). */
  WEIGHTS: 0x0a,
  /** coordinator -> tab (--p2p): its place in this step's reduction tree (JSON, p2p.ts). */
  TREE: 0x0b,
  /** tab -> coordinator (--p2p): its PeerJS id, or why it has none; links it could not open (JSON). */
  P2P: 0x0c,
  /** tab -> coordinator (--p2p): a GRAD frame holding a subtree's sum, with the tasks it covers. */
  RELAYED: 0x0d,
  /** coordinator -> tab (--p2p): the seed for the digest of its part of a relayed sum, sent once that sum is in (JSON). */
  REVEAL: 0x0e,
  /** tab -> coordinator (--p2p): the digest of its own part of a step (count, loss sum, projections; JSON). */
  DIGEST: 0x0f,
} as const;
export type MessageCode = (typeof MessageCode)[keyof typeof MessageCode];

const NAMES = new Map<number, string>(Object.entries(MessageCode).map(([k, v]) => [v, k]));

export function messageName(code: number): string {
  return NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

/** How a tensor payload is encoded on the wire (see shared/compress). */
export const TensorCodec = {
  /** No tensor in this frame. */
  NONE: 0,
  FP32: 1,
  FP16: 2,
  INT8: 3,
  TOPK: 4,
} as const;
export type TensorCodec = (typeof TensorCodec)[keyof typeof TensorCodec];

/** What a TASK asks for. */
export const TaskKind = {
  TRAIN: 0,
  EVAL: 1,
  /** --mode local: H inner steps on the peer (localPlan.ts); answered with a GRAD of the weight change. */
  LOCAL: 2,
} as const;
export type TaskKind = (typeof TaskKind)[keyof typeof TaskKind];
