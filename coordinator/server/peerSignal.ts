import type { Server } from 'node:http';
import type { Express, NextFunction, Request, Response } from 'express';
import { ExpressPeerServer } from 'peer';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CloseStatus } from '../../shared/errors';
import { tokenMatches } from './admission';

/**
 * The PeerJS signalling server (package `peer`), for peer-to-peer paths
 * between tabs, fenced in: only holders of the run's join token (`?t=`, as
 * in the join link), only while the run lasts, messages of at most
 * MAX_SIGNAL_BYTES that are JSON objects. Anything else closes that one
 * socket. The package itself emits 'error' on its express sub-app for a
 * message it cannot parse, which with no listener kills the process: the
 * listener here turns those into a count.
 */
/** SDP offers and ICE candidates are a few KB; 64 KB leaves room and bounds what one message can cost. */
export const MAX_SIGNAL_BYTES = 64 * 1024;

export interface PeerSignal {
  wss: WebSocketServer;
  /** Whether an upgrade to the PeerJS path may go ahead. */
  admits(url: URL): boolean;
  /** Closes every signalling socket (the run ended). */
  closeAll(): void;
  /** Errors the package reported (malformed messages, socket errors), none fatal. */
  readonly errors: number;
}

export function mountPeerSignal(app: Express, server: Server, o: { joinToken: string; maxClients: number; running: () => boolean }): PeerSignal {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_SIGNAL_BYTES });
  const admits = (token: unknown): boolean => o.running() && tokenMatches(token, o.joinToken);
  const gate = (req: Request, res: Response, next: NextFunction): void => {
    if (admits(req.query.t)) return next();
    res.status(403).type('text/plain').send(o.running() ? 'the peer-to-peer service needs the join token (?t=) of the join link' : 'the run is over');
  };
  const peerApp = ExpressPeerServer(server, { path: '/', concurrent_limit: o.maxClients, createWebSocketServer: () => wss });
  const signal = { errors: 0 };
  peerApp.on('error', () => void signal.errors++);
  // Our checks run first (listener added before the package's): a bad message closes the socket.
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary || !isJsonObject(data)) ws.close(CloseStatus.UNSUPPORTED_DATA, 'signalling messages are JSON objects');
    });
  });
  app.use('/peerjs', gate, peerApp);
  return {
    wss,
    admits: (url) => admits(url.searchParams.get('t') ?? undefined),
    closeAll: () => {
      for (const c of wss.clients) c.terminate();
    },
    get errors() {
      return signal.errors;
    },
  };
}

function isJsonObject(data: RawData): boolean {
  try {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
