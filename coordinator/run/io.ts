import type { ExitReason } from './types';

/** What the socket-free coordinator needs from the world: the server provides it over ws and timers, tests with a fake clock. */
export interface Io {
  now(): number;
  send(peerId: string, frame: Uint8Array): void;
  /**
   * Optional: send parts as the fragments of one message, without joining
   * them. The parts must not change until written: the weights part is one
   * buffer per version shared by every peer, reused only once each peer it
   * went to has answered (payloadPool.ts; bench item 5).
   */
  sendParts?(peerId: string, parts: readonly Uint8Array[]): void;
  /** Wake `tick()` at this time (ms), replacing any earlier request; null cancels. */
  wakeAt(at: number | null): void;
  log(line: string): void;
  finished(reason: ExitReason): void;
}
