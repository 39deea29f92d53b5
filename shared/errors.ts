/**
 * One error type for the whole project, in the manner of ws's error factory:
 * every failure a person can meet carries a stable `code` (tests and tools
 * match on it), a message a person can act on, and, for protocol failures,
 * the WebSocket close status to send.
 */
export const ErrorCode = {
  // protocol: a frame that cannot be read
  FRAME_EMPTY: 'FRAME_EMPTY',
  FRAME_TRUNCATED: 'FRAME_TRUNCATED',
  FRAME_UNKNOWN_CODE: 'FRAME_UNKNOWN_CODE',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  FRAME_INVALID: 'FRAME_INVALID',
  FRAME_TEXT: 'FRAME_TEXT',
  // handshake
  VERSION_MISMATCH: 'VERSION_MISMATCH',
  BAD_TOKEN: 'BAD_TOKEN',
  NOT_HELLO: 'NOT_HELLO',
  // gradients and results that must not touch the weights
  GRAD_WRONG_LENGTH: 'GRAD_WRONG_LENGTH',
  GRAD_NOT_FINITE: 'GRAD_NOT_FINITE',
  GRAD_STALE: 'GRAD_STALE',
  GRAD_UNKNOWN_TASK: 'GRAD_UNKNOWN_TASK',
  // a peer's copy of the weights is not the one a weights delta applies to
  WEIGHTS_BASE_MISSING: 'WEIGHTS_BASE_MISSING',
  // configuration and data given by a person
  CONFIG_INVALID: 'CONFIG_INVALID',
  DATA_INVALID: 'DATA_INVALID',
  DATA_NOT_FOUND: 'DATA_NOT_FOUND',
  MODEL_INVALID: 'MODEL_INVALID',
  CHROMIUM_NOT_FOUND: 'CHROMIUM_NOT_FOUND',
  CHECKPOINT_INVALID: 'CHECKPOINT_INVALID',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close statuses (RFC 6455 7.4; 4000-4999 are ours). */
export const CloseStatus = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** The coordinator is restarting (checkpointed): reconnect with backoff. */
  SERVICE_RESTART: 1012,
  VERSION_MISMATCH: 4001,
  BAD_TOKEN: 4003,
  TRAINING_DONE: 4000,
  REPLACED: 4009,
  /** A peer's weights are out of step with a delta it was sent: it reconnects and gets full weights. */
  WEIGHTS_RESYNC: 4010,
  /**
   * A peer could not start or failed a task and closes itself: its shards are
   * reassigned and it reconnects. (A page's WebSocket may only close with 1000
   * or 3000-4999: 1011 would throw there and leave the socket open.)
   */
  PEER_FAILED: 4011,
} as const;

export class TabtrainError extends Error {
  override readonly name = 'TabtrainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly closeStatus: number = CloseStatus.PROTOCOL_ERROR,
  ) {
    super(message);
  }
}

/** The one factory: `throw fail('FRAME_TRUNCATED', 'GRAD frame ends at byte 12, needs 16')`. */
export function fail(code: ErrorCode, message: string, closeStatus?: number): TabtrainError {
  return new TabtrainError(code, message, closeStatus);
}

export function isTabtrainError(e: unknown): e is TabtrainError {
  return e instanceof TabtrainError;
}
