import { timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';

/**
 * Who may open a socket: tokens compared in constant time, and caps on open
 * connections per remote address and on peer connections. Counting happens
 * at the HTTP upgrade, before any WebSocket exists, so a refused client costs
 * one short HTTP answer and nothing else.
 */

/** Constant-time comparison (crypto.timingSafeEqual needs equal lengths: compare fixed-size digests' worth of bytes). */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Compare against itself when lengths differ so the time does not depend on where they differ.
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** 127.0.0.0/8 and ::1 (also IPv4-mapped): the operator's own machine (its node peers and bench fleets). */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export interface AdmissionLimits {
  /** Open connections allowed from one address (0 = no cap). */
  perAddress: number;
  /** Addresses the per-address cap does not apply to. */
  exempt: (address: string) => boolean;
}

export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** Whether one more connection from `address` fits. */
  admits(address: string): boolean {
    if (this.limits.perAddress <= 0 || this.limits.exempt(address)) return true;
    return (this.open.get(address) ?? 0) < this.limits.perAddress;
  }

  /** Counts `socket` against `address` until it closes. */
  track(address: string, socket: Duplex): void {
    this.open.set(address, (this.open.get(address) ?? 0) + 1);
    socket.once('close', () => {
      const n = (this.open.get(address) ?? 1) - 1;
      if (n <= 0) this.open.delete(address);
      else this.open.set(address, n);
    });
  }

  /** Addresses with open connections (bounded by the connections themselves). */
  get addresses(): number {
    return this.open.size;
  }
}

/** Answers an upgrade request with a plain HTTP status and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = `${reason}\n`;
  socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function statusText(status: number): string {
  return status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status === 503 ? 'Service Unavailable' : 'Bad Request';
}
