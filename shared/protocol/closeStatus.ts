/**
 * WebSocket close statuses, named once (RFC 6455 section 7.4.1; 4000-4999
 * are private to us). No close status appears as a bare number anywhere
 * else: every `close(...)` and every `fail(..., closeStatus)` names one here.
 * A page's WebSocket may only close with 1000 or 3000-4999 (any other code
 * throws there and leaves the socket open), so statuses a peer sends itself
 * are in the 4000s.
 */
export const CloseStatus = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** The message was readable but its content is not acceptable (a NaN gradient, invalid UTF-8). */
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** The coordinator is restarting (checkpointed): reconnect with backoff. */
  SERVICE_RESTART: 1012,
  /** Training has ended (or the coordinator shut down): do not reconnect. */
  TRAINING_DONE: 4000,
  VERSION_MISMATCH: 4001,
  BAD_TOKEN: 4003,
  /** Another connection took over this peer's identity (reconnect token). */
  REPLACED: 4009,
  /** A peer's weights are out of step with a delta it was sent: it reconnects and gets full weights. */
  WEIGHTS_RESYNC: 4010,
  /**
   * A peer could not start or failed a task and closes itself: its shards are
   * reassigned and it reconnects.
   */
  PEER_FAILED: 4011,
  /** The dashboard saw a gap in its history deltas: it reconnects to get them from the start. */
  DASHBOARD_RESYNC: 4012,
  /** A tab measured its backends after joining and rejoins under the same identity to report the choice. */
  REJOIN_MEASURED: 4013,
} as const;
export type CloseStatus = (typeof CloseStatus)[keyof typeof CloseStatus];
