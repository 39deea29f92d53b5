import type { WebSocket, WebSocketServer } from 'ws';
import { CloseStatus, TabtrainError, fail, isTabtrainError } from '../../shared/errors';
import { MessageCode, decodeMessage, encodeError, encodeWelcome, messageName, type WelcomeBody } from '../../shared/protocol';
import type { TrainingCoordinator } from '../run/coordinator';
import { tokenMatches } from './admission';
import { Heartbeat, type HeartbeatOptions } from './heartbeat';

/**
 * Turns WebSocket events into coordinator calls. A connection must say HELLO
 * (right version, right join token) within HELLO_TIMEOUT_MS; anything it
 * sends that cannot be read closes that one connection with a typed reason,
 * and the run goes on. What the coordinator sends a peer queues in its
 * socket until the peer reads it: past `maxQueuedBytes` (default four
 * gradient-sized frames) the peer is not reading, and its connection is cut
 * (it may reconnect with its token), so a peer that stops reading cannot grow
 * the coordinator's memory.
 */
const HELLO_TIMEOUT_MS = 15_000;
/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

export interface PeerConnectionsOptions {
  joinToken: string;
  maxPayload: number;
  welcome: (peerId: string, reconnectToken: string) => WelcomeBody;
  log: (line: string) => void;
  /** Most bytes queued unread on one peer's socket before it is cut (default 4 x maxPayload). */
  maxQueuedBytes?: number;
  /** Ping/pong on tab sockets: a tab silent past the bound is dropped at once (heartbeat.ts). */
  heartbeat?: HeartbeatOptions;
}

export class PeerConnections {
  private readonly sockets = new Map<string, WebSocket>();
  readonly heartbeat: Heartbeat;

  constructor(
    private readonly run: TrainingCoordinator,
    private readonly o: PeerConnectionsOptions,
  ) {
    this.heartbeat = new Heartbeat({
      onSilent: (_, ms) => o.log(`a tab was silent for ${Math.round(ms)} ms: dropped, its shard goes to others`),
      onSuspect: (ws, ms) => {
        const peerId = [...this.sockets].find(([, s]) => s === ws)?.[0];
        if (peerId === undefined) return;
        o.log(`peer ${peerId} silent for ${Math.round(ms)} ms: backup copies of its shards go to idle peers`);
        this.run.peerSilent(peerId);
      },
      ...o.heartbeat,
    });
  }

  attach(wss: WebSocketServer): void {
    wss.on('connection', (ws) => this.accept(ws));
  }

  send(peerId: string, frame: Uint8Array): void {
    const ws = this.sockets.get(peerId);
    if (ws && ws.readyState === ws.OPEN && this.fits(peerId, ws, frame.byteLength)) ws.send(frame, { binary: true });
  }

  /** Parts as the fragments of one binary message: the receiver sees one frame, the parts are never joined here. */
  sendParts(peerId: string, parts: readonly Uint8Array[]): void {
    const ws = this.sockets.get(peerId);
    if (!ws || ws.readyState !== ws.OPEN || !this.fits(peerId, ws, parts.reduce((a, p) => a + p.byteLength, 0))) return;
    parts.forEach((part, i) => ws.send(part, { binary: true, fin: i === parts.length - 1 }));
  }

  /** Whether `bytes` more fit in the peer's send queue; if not, the peer is not reading: its socket is cut now (no close handshake to queue behind). */
  private fits(peerId: string, ws: WebSocket, bytes: number): boolean {
    const max = this.o.maxQueuedBytes ?? 4 * this.o.maxPayload;
    if (ws.bufferedAmount + bytes <= max) return true;
    this.o.log(`peer ${peerId} is not reading: ${ws.bufferedAmount} bytes queued unread (bound ${max}); connection cut, it may reconnect`);
    ws.terminate();
    return false;
  }

  get size(): number {
    return this.sockets.size;
  }

  closeAll(code: number, reason: string): void {
    for (const ws of this.sockets.values()) ws.close(code, reason);
  }

  private accept(ws: WebSocket): void {
    let peerId: string | null = null;
    const helloTimer = setTimeout(() => refuse(ws, fail('NOT_HELLO', `no HELLO within ${HELLO_TIMEOUT_MS / 1000} s`, CloseStatus.POLICY_VIOLATION)), HELLO_TIMEOUT_MS);
    ws.on('message', (data, isBinary) => {
      try {
        if (!isBinary) throw fail('FRAME_TEXT', 'text frames are not part of the protocol; send binary frames', CloseStatus.UNSUPPORTED_DATA);
        const m = decodeMessage(toBytes(data), this.o.maxPayload);
        if (peerId === null) {
          if (m.code !== MessageCode.HELLO) throw fail('NOT_HELLO', `first message must be HELLO, got ${messageName(m.code)}`);
          if (!tokenMatches(m.body.token, this.o.joinToken)) throw fail('BAD_TOKEN', 'wrong or missing join token: open the join link the coordinator printed', CloseStatus.BAD_TOKEN);
          clearTimeout(helloTimer);
          const p = this.run.join(m.body);
          const old = this.sockets.get(p.id);
          if (old && old !== ws) old.close(CloseStatus.REPLACED, 'replaced by a newer connection of the same peer');
          peerId = p.id;
          this.sockets.set(p.id, ws);
          ws.send(encodeWelcome(this.o.welcome(p.id, p.reconnectToken)), { binary: true });
          // Tabs only: a browser answers pings from its network stack, a node peer from a JS event loop its own compute may block.
          if (p.kind === 'tab') this.heartbeat.watch(ws);
          this.o.log(`peer ${p.id} (${p.nickname}, ${p.kind}, ${p.backend}) ${p.connections > 1 ? 'reconnected' : 'joined'}`);
          return;
        }
        switch (m.code) {
          case MessageCode.READY:
            this.run.ready(peerId, m.body.samplesPerSec, m.body.overheadMs);
            return;
          case MessageCode.GRAD:
            this.run.p2p.countIn(toBytes(data).byteLength);
            this.run.onGrad(peerId, m.grad);
            return;
          case MessageCode.RELAYED: // --p2p: a subtree's sum (coordinator/p2p/)
            this.run.p2p.countIn(toBytes(data).byteLength);
            this.run.p2p.onRelayed(peerId, m.grad, m.relayed);
            return;
          case MessageCode.P2P:
            this.run.p2p.hello(peerId, m.body);
            return;
          case MessageCode.DIGEST: // --p2p: the digest of this tab's part of a held relayed sum
            this.run.p2p.onDigest(peerId, m.body);
            return;
          case MessageCode.EVAL_RESULT:
            this.run.onEval(peerId, m.result);
            return;
          default:
            throw fail('FRAME_INVALID', `${messageName(m.code)} is not a message a peer may send`);
        }
      } catch (e) {
        refuse(ws, isTabtrainError(e) ? e : fail('INTERNAL', e instanceof Error ? e.message : String(e), CloseStatus.INTERNAL_ERROR));
        if (!isTabtrainError(e)) this.o.log(`internal error on peer ${peerId ?? '(new)'}: ${e instanceof Error ? e.stack : String(e)}`);
        else if (peerId) this.o.log(`peer ${peerId} closed: ${e.code}: ${e.message}`);
      }
    });
    ws.on('error', () => undefined); // 'close' follows
    ws.on('close', (code) => {
      clearTimeout(helloTimer);
      if (peerId && this.sockets.get(peerId) === ws) {
        this.sockets.delete(peerId);
        // 1000/1001: the tab closed on purpose. Anything else may come back with its reconnect token.
        const reconnecting = code !== CloseStatus.NORMAL && code !== CloseStatus.GOING_AWAY;
        this.run.leave(peerId, reconnecting);
        this.o.log(`peer ${peerId} left (${code}${reconnecting ? ', may reconnect' : ''})`);
      }
    });
  }
}

/** ERROR frame with the full message, then a close with a reason that fits the limit. */
export function refuse(ws: WebSocket, e: TabtrainError): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(encodeError({ code: e.code, message: e.message }), { binary: true });
  ws.close(e.closeStatus, truncateReason(`${e.code}: ${e.message}`));
}

export function truncateReason(s: string): string {
  const enc = new TextEncoder();
  if (enc.encode(s).byteLength <= MAX_REASON_BYTES) return s;
  let out = s;
  while (enc.encode(out + '…').byteLength > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out + '…';
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
