import { fail } from '../errors';
import { CloseStatus } from './closeStatus';
import { MessageCode, messageName } from './codes';
import * as c from './control';
import type * as s from './schemas';
import * as p2p from './p2p';
import * as t from './tensors';

/**
 * Every message, tagged by its code. `decodeMessage` is the one entry point
 * for bytes off the wire; its default case throws FRAME_UNKNOWN_CODE.
 */
export type Message =
  | { code: typeof MessageCode.HELLO; version: number; body: s.HelloBody }
  | { code: typeof MessageCode.WELCOME; body: s.WelcomeBody }
  | { code: typeof MessageCode.READY; body: s.ReadyBody }
  | { code: typeof MessageCode.TASK; task: t.TaskFrame }
  | { code: typeof MessageCode.GRAD; grad: t.GradFrame }
  | { code: typeof MessageCode.EVAL_RESULT; result: t.EvalResultFrame }
  | { code: typeof MessageCode.STATUS; body: s.StatusBody }
  | { code: typeof MessageCode.ERROR; body: s.ErrorBody }
  | { code: typeof MessageCode.DONE; body: s.DoneBody }
  | { code: typeof MessageCode.WEIGHTS; weights: t.WeightsFrame }
  | { code: typeof MessageCode.TREE; body: p2p.TreeBody }
  | { code: typeof MessageCode.P2P; body: p2p.P2pBody }
  | { code: typeof MessageCode.RELAYED; grad: t.GradFrame; relayed: p2p.RelayedBody }
  | { code: typeof MessageCode.REVEAL; body: p2p.RevealBody }
  | { code: typeof MessageCode.DIGEST; body: p2p.DigestBody };

export function decodeMessage(frame: Uint8Array, maxBytes = Infinity): Message {
  if (frame.byteLength === 0) throw fail('FRAME_EMPTY', 'empty frame: every message starts with a one-byte code');
  if (frame.byteLength > maxBytes) {
    throw fail('FRAME_TOO_LARGE', `${messageName(frame[0]!)} frame is ${frame.byteLength} bytes; the limit is ${maxBytes}`, CloseStatus.TOO_BIG);
  }
  const code = frame[0]!;
  switch (code) {
    case MessageCode.HELLO: {
      const { version, body } = c.decodeHello(frame);
      return { code, version, body };
    }
    case MessageCode.WELCOME:
      return { code, body: c.decodeWelcome(frame) };
    case MessageCode.READY:
      return { code, body: c.decodeReady(frame) };
    case MessageCode.TASK:
      return { code, task: t.decodeTask(frame) };
    case MessageCode.GRAD:
      return { code, grad: t.decodeGrad(frame) };
    case MessageCode.EVAL_RESULT:
      return { code, result: t.decodeEvalResult(frame) };
    case MessageCode.STATUS:
      return { code, body: c.decodeStatus(frame) };
    case MessageCode.ERROR:
      return { code, body: c.decodeError(frame) };
    case MessageCode.DONE:
      return { code, body: c.decodeDone(frame) };
    case MessageCode.WEIGHTS:
      return { code, weights: t.decodeWeights(frame) };
    case MessageCode.TREE:
      return { code, body: p2p.decodeTree(frame) };
    case MessageCode.P2P:
      return { code, body: p2p.decodeP2p(frame) };
    case MessageCode.RELAYED: {
      const r = p2p.decodeRelayed(frame);
      return { code, grad: r.grad, relayed: r.body };
    }
    case MessageCode.REVEAL:
      return { code, body: p2p.decodeReveal(frame) };
    case MessageCode.DIGEST:
      return { code, body: p2p.decodeDigest(frame) };
    default:
      throw fail('FRAME_UNKNOWN_CODE', `unknown message code ${messageName(code)}`);
  }
}
