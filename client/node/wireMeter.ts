import type { WebSocket } from 'ws';
import { MessageCode, TaskKind, messageName } from '../../shared/protocol';

/**
 * Counts a Node peer's WebSocket message bytes in each direction (payloads,
 * without the 2 to 14 bytes of WebSocket framing), by message: 'GRAD',
 * 'TASK/train', 'TASK/eval', 'WELCOME', ... for the wire benchmark.
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

function kindOf(b: Uint8Array): string {
  const code = b[0] ?? 0;
  if (code === MessageCode.TASK) return b[1] === TaskKind.EVAL ? 'TASK/eval' : 'TASK/train';
  return messageName(code);
}

function count(side: Record<string, WireCount>, b: Uint8Array, n: number): void {
  const k = kindOf(b);
  const c = (side[k] ??= { frames: 0, bytes: 0 });
  c.frames++;
  c.bytes += n;
}

/** Wraps `ws` so that every message in and out is counted in `m`. */
export function meterSocket(ws: WebSocket, m: WireMeter): WebSocket {
  const send = ws.send.bind(ws) as (data: Uint8Array, ...rest: unknown[]) => void;
  (ws as unknown as { send: (data: Uint8Array, ...rest: unknown[]) => void }).send = (data: Uint8Array, ...rest: unknown[]) => {
    count(m.sent, data, data.byteLength);
    send(data, ...rest);
  };
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const parts = Array.isArray(data) ? data : [data];
    const n = parts.reduce((a, b) => a + b.byteLength, 0);
    const first = parts[0]!;
    const head = first instanceof ArrayBuffer ? new Uint8Array(first, 0, Math.min(2, first.byteLength)) : new Uint8Array(first.buffer, first.byteOffset, Math.min(2, first.byteLength));
    count(m.received, head, n);
  });
  return ws;
}
