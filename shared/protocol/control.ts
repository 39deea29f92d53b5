import type { z } from 'zod';
import { fail } from '../errors';
import { CloseStatus } from './closeStatus';
import { MessageCode } from './codes';
import { FrameReader, FrameWriter, jsonFrame } from './frame';
import * as s from './schemas';
import { PROTOCOL_VERSION } from './version';

/**
 * Control frames: a one-byte code, then UTF-8 JSON validated by a schema.
 * HELLO alone has a fixed u16 protocol version at offset 1, so that a client
 * of any version can be read far enough to be told why it is refused.
 *
 *   HELLO   [0x01][u16 version][json HelloBody]
 *   WELCOME [0x02][json WelcomeBody]     READY [0x03][json ReadyBody]
 *   STATUS  [0x07][json StatusBody]      ERROR [0x08][json ErrorBody]
 *   DONE    [0x09][json DoneBody]
 */
export const HELLO_HEADER_BYTES = 3;

export function encodeHello(body: s.HelloBody, version: number = PROTOCOL_VERSION): Uint8Array {
  return jsonFrame(HELLO_HEADER_BYTES, body, (w: FrameWriter) => {
    w.u8(0, MessageCode.HELLO);
    w.u16(1, version);
  });
}

/** The version field alone: read before anything else so a mismatch gets its own error. */
export function helloVersion(frame: Uint8Array): number {
  return new FrameReader(frame, 'HELLO').u16(1, 'version');
}

export function decodeHello(frame: Uint8Array): { version: number; body: s.HelloBody } {
  const r = new FrameReader(frame, 'HELLO');
  const version = r.u16(1, 'version');
  if (version !== PROTOCOL_VERSION) {
    const which = version < PROTOCOL_VERSION ? 'older' : 'newer';
    throw fail(
      'VERSION_MISMATCH',
      `client speaks protocol v${version}, coordinator speaks v${PROTOCOL_VERSION} (${which} client): reload the join page`,
      CloseStatus.VERSION_MISMATCH,
    );
  }
  return { version, body: parseBody(s.helloBody, r.json(HELLO_HEADER_BYTES), 'HELLO') };
}

function parseBody<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw fail('FRAME_INVALID', `${what} body is invalid${where}: ${issue?.message ?? 'unknown problem'}`);
  }
  return parsed.data;
}

function codeOnly(code: number): (w: FrameWriter) => void {
  return (w) => w.u8(0, code);
}

export const encodeWelcome = (b: s.WelcomeBody): Uint8Array => jsonFrame(1, b, codeOnly(MessageCode.WELCOME));
export const encodeReady = (b: s.ReadyBody): Uint8Array => jsonFrame(1, b, codeOnly(MessageCode.READY));
export const encodeStatus = (b: s.StatusBody): Uint8Array => jsonFrame(1, b, codeOnly(MessageCode.STATUS));
export const encodeError = (b: s.ErrorBody): Uint8Array => jsonFrame(1, b, codeOnly(MessageCode.ERROR));
export const encodeDone = (b: s.DoneBody): Uint8Array => jsonFrame(1, b, codeOnly(MessageCode.DONE));

export const decodeWelcome = (f: Uint8Array): s.WelcomeBody =>
  parseBody(s.welcomeBody, new FrameReader(f, 'WELCOME').json(1), 'WELCOME');
export const decodeReady = (f: Uint8Array): s.ReadyBody =>
  parseBody(s.readyBody, new FrameReader(f, 'READY').json(1), 'READY');
export const decodeStatus = (f: Uint8Array): s.StatusBody =>
  parseBody(s.statusBody, new FrameReader(f, 'STATUS').json(1), 'STATUS');
export const decodeError = (f: Uint8Array): s.ErrorBody =>
  parseBody(s.errorBody, new FrameReader(f, 'ERROR').json(1), 'ERROR');
export const decodeDone = (f: Uint8Array): s.DoneBody =>
  parseBody(s.doneBody, new FrameReader(f, 'DONE').json(1), 'DONE');
