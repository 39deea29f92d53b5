import { fail } from '../errors';
import { relayedBody, type Cover } from '../protocol/p2p';
import type { TensorPayload } from '../protocol/tensors';
import { decodeSum, encodeSum, type GradSum } from './sum';

/**
 * A subtree's sum as it goes up a data channel in a training run: the
 * gradient sum (sum.ts) and the tasks it covers, so the coordinator can
 * cover each of their shards exactly once whatever a relay left out.
 *
 *   byte 0      TREE_SUM_MAGIC (0x54, 'T')
 *   bytes 1..3  zero
 *   bytes 4..7  sum bytes, u32 LE
 *   bytes 8..   the sum (sum.ts), then UTF-8 JSON { covers: Cover[] }
 */
export const TREE_SUM_MAGIC = 0x54;

export interface CoveredSum {
  sum: GradSum;
  covers: Cover[];
}

/** `payload`: the sum's gradient in the hop's codec (hopCodec.ts); float32 without it. */
export function encodeTreeSum(s: CoveredSum, payload?: TensorPayload): Uint8Array {
  const sum = encodeSum(s.sum, payload);
  const json = new TextEncoder().encode(JSON.stringify({ covers: s.covers }));
  const out = new Uint8Array(8 + sum.byteLength + json.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, TREE_SUM_MAGIC);
  view.setUint32(4, sum.byteLength, true);
  out.set(sum, 8);
  out.set(json, 8 + sum.byteLength);
  return out;
}

export function decodeTreeSum(bytes: Uint8Array, expectLength: number): CoveredSum {
  if (bytes.byteLength < 8 || bytes[0] !== TREE_SUM_MAGIC) throw fail('FRAME_INVALID', 'a p2p tree message must start with 0x54 and an 8-byte header');
  const sumBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + sumBytes > bytes.byteLength) throw fail('FRAME_TRUNCATED', `a p2p tree message says its sum is ${sumBytes} bytes; only ${bytes.byteLength - 8} follow`);
  const sum = decodeSum(bytes.subarray(8, 8 + sumBytes), expectLength);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8 + sumBytes)));
  } catch {
    throw fail('FRAME_INVALID', 'the task list of a p2p tree message is not UTF-8 JSON');
  }
  const parsed = relayedBody.safeParse(body);
  if (!parsed.success) throw fail('FRAME_INVALID', `the task list of a p2p tree message is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
  const total = parsed.data.covers.reduce((a, c) => a + c.count, 0);
  if (total !== sum.count) throw fail('FRAME_INVALID', `a p2p sum of ${sum.count} samples says its tasks hold ${total}`);
  return { sum, covers: parsed.data.covers };
}
