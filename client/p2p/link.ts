import { Peer, type DataConnection } from 'peerjs';
import { Reassembler } from '../../shared/p2p/chunk';
import { SendQueue, type ChannelLike } from '../../shared/p2p/sendQueue';

/**
 * A tab's peer-to-peer side under `--p2p`: a PeerJS peer registered with the
 * coordinator's own signalling server (mounted at /peerjs, which admits only
 * holders of the run's join token, sent as `?t=`), and binary data channels
 * to other tabs. Channels use PeerJS's 'raw' serialization; messages are
 * chunked within browser limits and sent with backpressure on
 * `bufferedAmount` (shared/p2p/chunk.ts, sendQueue.ts).
 *
 * Every wait here is bounded: a tab with no WebRTC, or whose signalling or
 * data channel does not open within `openTimeoutMs`, gets null and stays on
 * the WebSocket star path.
 */
export interface P2pOptions {
  /** The coordinator's origin, e.g. http://127.0.0.1:8080 */
  origin: string;
  joinToken: string;
  openTimeoutMs: number;
}

export function hasWebRtc(): boolean {
  return typeof RTCPeerConnection === 'function';
}

function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([p, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}

export class P2pLink {
  private readonly queue: SendQueue;
  private readonly reassembler = new Reassembler();
  private listener: (message: Uint8Array) => void = () => undefined;
  bytesReceived = 0;
  closed = false;
  onClose: () => void = () => undefined;

  constructor(readonly conn: DataConnection) {
    const dc = conn.dataChannel;
    const channel: ChannelLike = {
      send: (data) => dc.send(data),
      get bufferedAmount() {
        return dc.bufferedAmount;
      },
      get bufferedAmountLowThreshold() {
        return dc.bufferedAmountLowThreshold;
      },
      set bufferedAmountLowThreshold(v: number) {
        dc.bufferedAmountLowThreshold = v;
      },
      onLow: (l) => dc.addEventListener('bufferedamountlow', l),
    };
    this.queue = new SendQueue(channel);
    conn.on('data', (data) => {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
      if (!bytes) return;
      this.bytesReceived += bytes.byteLength;
      try {
        const whole = this.reassembler.push(bytes);
        if (whole) this.listener(whole);
      } catch {
        // A malformed chunk or sum from another tab: that link is dropped (the coordinator's deadline redoes its work).
        this.close();
      }
    });
    // A closed tab may not close its channel cleanly: ICE 'disconnected' (a few seconds of silence) counts as gone too.
    const gone = (): void => {
      if (this.closed) return;
      this.closed = true;
      this.queue.close('the other tab left');
      this.onClose();
    };
    conn.on('close', gone);
    dc.addEventListener('close', gone);
    const pc = conn.peerConnection;
    pc.addEventListener('iceconnectionstatechange', () => {
      if (['disconnected', 'failed', 'closed'].includes(pc.iceConnectionState)) gone();
    });
  }

  get remoteId(): string {
    return this.conn.peer;
  }

  get bytesSent(): number {
    return this.queue.bytesSent;
  }

  /** Chunk size for messages sent from now on (16,300 by default; up to 256 KiB between Chromium tabs). */
  set chunkBytes(n: number) {
    this.queue.chunkBytes = n;
  }

  send(message: Uint8Array): Promise<void> {
    return this.queue.send(message);
  }

  onMessage(listener: (message: Uint8Array) => void): void {
    this.listener = listener;
  }

  close(): void {
    this.conn.close();
  }
}

export class P2pNode {
  private incoming: (link: P2pLink) => void = () => undefined;

  private constructor(readonly peer: Peer) {
    peer.on('connection', (conn) => {
      conn.on('open', () => this.incoming(new P2pLink(conn)));
    });
  }

  /** Registers `id` with the coordinator's signalling server; null when WebRTC or signalling is not there in time. */
  static async open(id: string, o: P2pOptions): Promise<P2pNode | null> {
    if (!hasWebRtc()) return null;
    const url = new URL(o.origin);
    const peer = new Peer(id, {
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      secure: url.protocol === 'https:',
      path: '/peerjs/',
      // PeerJS puts the key into the query string as is: the join token rides along as `t`.
      key: `peerjs&t=${encodeURIComponent(o.joinToken)}`,
      // Loopback and LAN: host candidates suffice; no STUN server outside the room.
      config: { iceServers: [] },
      debug: 0,
    });
    const opened = new Promise<boolean>((resolve) => {
      peer.once('open', () => resolve(true));
      peer.once('error', () => resolve(false));
    });
    const ok = await within(opened, o.openTimeoutMs);
    if (!ok) {
      peer.destroy();
      return null;
    }
    return new P2pNode(peer);
  }

  get id(): string {
    return this.peer.id;
  }

  onLink(listener: (link: P2pLink) => void): void {
    this.incoming = listener;
  }

  /** A data channel to another tab, or null when it does not open in time. */
  async connect(remoteId: string, openTimeoutMs: number): Promise<P2pLink | null> {
    const conn = this.peer.connect(remoteId, { serialization: 'raw', reliable: true });
    const opened = new Promise<boolean>((resolve) => {
      conn.once('open', () => resolve(true));
      conn.once('error', () => resolve(false));
    });
    const ok = await within(opened, openTimeoutMs);
    if (!ok) {
      conn.close();
      return null;
    }
    return new P2pLink(conn);
  }

  destroy(): void {
    this.peer.destroy();
  }
}
