import type { PeerTrace } from '../../client/peer/trace';
import { MessageCode, TaskKind, messageName } from '../../shared/protocol';

/**
 * Counts a Node peer's WebSocket message bytes in each direction (payloads,
 * without the 2 to 14 bytes of WebSocket framing), by message, through the
 * session's trace hooks (nothing is wrapped): 'GRAD',
 * 'TASK/train', 'TASK/local', 'TASK/eval', 'WELCOME', ... for the wire benchmark.
 */
export interface WireCount {
  frames: number;
  bytes: number;
}

export interface WireMeter {
  sent: Record<string, WireCount>;
  received: Record<string, WireCount>;
}

export function wireMeter(): WireMeter {
  return { sent: {}, received: {} };
}

export function totalBytes(side: Record<string, WireCount>): number {
  return Object.values(side).reduce((a, c) => a + c.bytes, 0);
}

export function kindOf(b: Uint8Array): string {
  const code = b[0] ?? 0;
  if (code === MessageCode.TASK) return b[1] === TaskKind.EVAL ? 'TASK/eval' : b[1] === TaskKind.LOCAL ? 'TASK/local' : 'TASK/train';
  return messageName(code);
}

function count(side: Record<string, WireCount>, b: Uint8Array, n: number): void {
  const k = kindOf(b);
  const c = (side[k] ??= { frames: 0, bytes: 0 });
  c.frames++;
  c.bytes += n;
}

/** A session trace (client/peer/trace.ts) that counts every frame in and out in `m`. */
export function meterTrace(m: WireMeter): PeerTrace {
  return {
    sent: (frame) => count(m.sent, frame, frame.byteLength),
    received: (frame) => count(m.received, frame, frame.byteLength),
  };
}
