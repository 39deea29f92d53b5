import { WebSocket } from 'ws';
import { SUPPORTED_CODECS } from '../../shared/compress';
import { PeerSession, type PeerStats } from '../peer/session';
import type { PeerSocket } from '../peer/socket';
import { GradientAttack, attackSocket, type AttackSpec } from './attack';
import type { PeerTrace } from '../peer/trace';

/**
 * A "node peer": the tabs' own session and trainer core, under Node on the
 * tfjs cpu backend, for tests and load tests. The caller sets the backend up
 * (coordinator/tfjsNode.ts) before starting any. For load tests without the
 * compute, see bench/replay/replayPeer.ts.
 */
export interface NodePeerOptions {
  /** The join URL (http://host:port/?t=TOKEN) or its parts. */
  joinUrl: string;
  nickname?: string;
  onChange?: (s: PeerStats) => void;
  /** Hooks at the session's named points (client/peer/trace.ts), e.g. the wire benchmark's byte counts. */
  trace?: PeerTrace;
  /** Longest wait between reconnection attempts (default 10 s). */
  maxBackoffMs?: number;
  /** `--attack`: compute honestly, then lie on the way out (attack.ts). */
  attack?: AttackSpec;
}

export function joinParts(joinUrl: string): { token: string; wsUrl: string; origin: string } {
  const u = new URL(joinUrl);
  return { token: u.searchParams.get('t') ?? '', wsUrl: `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/ws`, origin: `${u.protocol}//${u.host}` };
}

export function startNodePeer(o: NodePeerOptions): PeerSession {
  const { token, wsUrl, origin } = joinParts(o.joinUrl);
  // One attack per peer, kept across reconnections (alie's running estimates).
  const attack = o.attack ? new GradientAttack(o.attack) : null;
  const session = new PeerSession({
    url: wsUrl,
    hello: { token, kind: 'node', backend: 'cpu', backendNote: 'Node peer: tfjs cpu backend', renderer: '', nickname: o.nickname ?? '', codecs: SUPPORTED_CODECS },
    socket: (url) => {
      const socket = new WebSocket(url, { perMessageDeflate: false }) as unknown as PeerSocket;
      return attack ? attackSocket(socket, attack) : socket;
    },
    resolveUrl: (path) => new URL(path, origin).toString(),
    ...(o.onChange ? { onChange: o.onChange } : {}),
    ...(o.maxBackoffMs !== undefined ? { maxBackoffMs: o.maxBackoffMs } : {}),
    ...(o.trace ? { trace: o.trace } : {}),
  });
  session.start();
  return session;
}
