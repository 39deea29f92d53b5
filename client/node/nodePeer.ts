import { WebSocket } from 'ws';
import { PeerSession, type PeerStats } from '../peer/session';
import type { PeerSocket } from '../peer/socket';

/**
 * A "node peer": the tabs' own session and trainer core, under Node on the
 * tfjs cpu backend, for tests and load tests. The caller sets the backend up
 * (coordinator/tfjsNode.ts) before starting any.
 */
export interface NodePeerOptions {
  /** The join URL (http://host:port/?t=TOKEN) or its parts. */
  joinUrl: string;
  nickname?: string;
  onChange?: (s: PeerStats) => void;
}

export function startNodePeer(o: NodePeerOptions): PeerSession {
  const u = new URL(o.joinUrl);
  const token = u.searchParams.get('t') ?? '';
  const wsUrl = `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/ws`;
  const session = new PeerSession({
    url: wsUrl,
    hello: { token, kind: 'node', backend: 'cpu', backendNote: 'Node peer: tfjs cpu backend', renderer: '', nickname: o.nickname ?? '', codecs: [1] },
    socket: (url) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      return ws as unknown as PeerSocket;
    },
    resolveUrl: (path) => new URL(path, `${u.protocol}//${u.host}`).toString(),
    ...(o.onChange ? { onChange: o.onChange } : {}),
  });
  session.start();
  return session;
}
