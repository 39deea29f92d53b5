import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';

/**
 * Weights on their way down a step's tree (`--p2p`): the coordinator sends
 * a step's weights payload only to the tree's roots (and the star's tabs);
 * each relay passes the same bytes on to the children the coordinator
 * named (TREE `forward`), as soon as the whole message is in, before its
 * own worker decodes them. The payload is exactly what the coordinator
 * would have attached to that child's TASK (--weights-codec: fp32, fp16, or
 * a delta to a base every hop holds), so every tab ends up with the
 * coordinator's weights, bit for bit.
 *
 * A child checks what it got against the version and checksum its TREE
 * named (the checksum covers the header fields and the payload: a relay
 * cannot change either unnoticed); missing or wrong within a bounded wait,
 * it asks the coordinator over its own socket (client/p2p/sessionTree.ts).
 *
 *   byte 0      WEIGHTS_DOWN_MAGIC (0x57, 'W')
 *   byte 1      tensor codec
 *   byte 2      flags: bit 0 = a delta to the weights of `baseVersion`
 *   byte 3      zero
 *   bytes 4..7    step, u32 LE
 *   bytes 8..11   weights version, u32 LE
 *   bytes 12..15  base version (delta only, else 0), u32 LE
 *   bytes 16..19  length in floats, u32 LE
 *   bytes 20..23  payload bytes, u32 LE
 *   bytes 24..    the payload
 */
export const WEIGHTS_DOWN_MAGIC = 0x57;
export const WEIGHTS_DOWN_HEADER_BYTES = 24;

export interface WeightsDown {
  step: number;
  weightsVersion: number;
  delta: boolean;
  baseVersion: number;
  weights: TensorPayload;
}

const CODECS = new Set<number>([TensorCodec.FP32, TensorCodec.FP16, TensorCodec.INT8]);

export function encodeWeightsDown(w: WeightsDown): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(WEIGHTS_DOWN_HEADER_BYTES + w.weights.bytes.byteLength);
  const v = new DataView(out.buffer);
  v.setUint8(0, WEIGHTS_DOWN_MAGIC);
  v.setUint8(1, w.weights.codec);
  v.setUint8(2, w.delta ? 1 : 0);
  v.setUint32(4, w.step, true);
  v.setUint32(8, w.weightsVersion, true);
  v.setUint32(12, w.delta ? w.baseVersion : 0, true);
  v.setUint32(16, w.weights.length, true);
  v.setUint32(20, w.weights.bytes.byteLength, true);
  out.set(w.weights.bytes, WEIGHTS_DOWN_HEADER_BYTES);
  return out;
}

/** The step a weights-down message is for, or null when `bytes` is not one (another kind of p2p message). */
export function weightsDownStep(bytes: Uint8Array): number | null {
  if (bytes.byteLength < WEIGHTS_DOWN_HEADER_BYTES || bytes[0] !== WEIGHTS_DOWN_MAGIC) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
}

export function decodeWeightsDown(bytes: Uint8Array): WeightsDown {
  if (bytes.byteLength < WEIGHTS_DOWN_HEADER_BYTES || bytes[0] !== WEIGHTS_DOWN_MAGIC) {
    throw fail('FRAME_INVALID', `a p2p weights message must start with 0x57 and a ${WEIGHTS_DOWN_HEADER_BYTES}-byte header`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codec = v.getUint8(1);
  if (!CODECS.has(codec)) throw fail('FRAME_INVALID', `a p2p weights message uses tensor codec ${codec}; weights are fp32, fp16 or int8 (deltas)`);
  const flags = v.getUint8(2);
  if (flags > 1) throw fail('FRAME_INVALID', `a p2p weights message has unknown flags 0x${flags.toString(16)}`);
  const payloadBytes = v.getUint32(20, true);
  if (WEIGHTS_DOWN_HEADER_BYTES + payloadBytes !== bytes.byteLength) {
    throw fail('FRAME_TRUNCATED', `a p2p weights message says its payload is ${payloadBytes} bytes; ${bytes.byteLength - WEIGHTS_DOWN_HEADER_BYTES} follow`);
  }
  return {
    step: v.getUint32(4, true),
    weightsVersion: v.getUint32(8, true),
    delta: flags === 1,
    baseVersion: v.getUint32(12, true),
    weights: { codec: codec as TensorCodec, length: v.getUint32(16, true), bytes: bytes.subarray(WEIGHTS_DOWN_HEADER_BYTES) },
  };
}

/**
 * FNV-1a (32 bit) over the fields that decide what a tab installs: codec,
 * delta flag, version, base version, length, then the payload bytes. Cheap
 * (one pass, ~1 ms for 400 KB) and enough against a relay that damages or
 * swaps the bytes; the coordinator computes it once per payload.
 */
export function weightsChecksum(w: Omit<WeightsDown, 'step'>): number {
  let h = 0x811c9dc5;
  const mix = (byte: number): void => {
    h ^= byte & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  const word = (x: number): void => {
    for (let i = 0; i < 4; i++) mix(x >>> (8 * i));
  };
  mix(w.weights.codec);
  mix(w.delta ? 1 : 0);
  word(w.weightsVersion);
  word(w.delta ? w.baseVersion : 0);
  word(w.weights.length);
  const b = w.weights.bytes;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
