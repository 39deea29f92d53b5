/**
 * Named points in a peer's session that tests, the e2e specs and the bench
 * can subscribe to, instead of wrapping the session's or the trainer's
 * methods: the session calls each hook, when given, at its point and nowhere
 * else. Hooks run on the peer's own thread (the Web Worker in a tab).
 *
 * - `sent` / `received`: every binary frame, before it goes out / before it
 *   is decoded (the wire benchmark counts bytes by message here).
 * - `gradientReady`: a training gradient is computed and about to be sent. A
 *   returned promise holds the send back until it settles: a test makes this
 *   peer a slow laptop with it (gradientHold.ts). A hook that throws (or a
 *   promise that rejects) fails the task as a failed computation would: the
 *   session closes with PEER_FAILED and reconnects (tests/integration/peerFailure.test.ts).
 */
export interface GradientReadyEvent {
  taskId: number;
  step: number;
  /** Samples the gradient sums over. */
  count: number;
  computeMs: number;
}

export interface PeerTrace {
  sent?(frame: Uint8Array): void;
  received?(frame: Uint8Array): void;
  gradientReady?(e: GradientReadyEvent): void | Promise<void>;
}
