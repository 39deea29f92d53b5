import { CloseStatus } from './protocol/closeStatus';

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
  // the dashboard's controls (POST /api/control)
  /** The request is malformed or a value is out of its range (HTTP 400). */
  CONTROL_INVALID: 'CONTROL_INVALID',
  /** A well-formed request that does not apply now, e.g. resume when not paused (HTTP 409). */
  CONTROL_REFUSED: 'CONTROL_REFUSED',
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

/** The close statuses are named in shared/protocol (one table); re-exported for the error factory's callers. */
export { CloseStatus };

/** The HTTP status an error is answered with where it reaches an HTTP route; anything else is 500. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_TOKEN: 403,
  CONTROL_INVALID: 400,
  CONTROL_REFUSED: 409,
};

export class TabtrainError extends Error {
  override readonly name = 'TabtrainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly closeStatus: number = CloseStatus.PROTOCOL_ERROR,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }

  /** The JSON an HTTP route answers with: `{ ok: false, code, message }`. */
  toJSON(): { ok: false; code: ErrorCode; message: string } {
    return { ok: false, code: this.code, message: this.message };
  }
}

/** The one factory: `throw fail('FRAME_TRUNCATED', 'GRAD frame ends at byte 12, needs 16')`. */
export function fail(code: ErrorCode, message: string, closeStatus?: number): TabtrainError {
  return new TabtrainError(code, message, closeStatus);
}

export function isTabtrainError(e: unknown): e is TabtrainError {
  return e instanceof TabtrainError;
}
