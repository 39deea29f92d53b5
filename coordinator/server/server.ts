import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { CloseStatus } from '../../shared/errors';
import { encodeFp32 } from '../../shared/compress';
import { encodeStatus, encodeWeights, type WelcomeBody } from '../../shared/protocol';
import { applyControl } from '../dashboard/controls';
import { DashboardFeed } from './dashboardFeed';
import { welcomeCodec } from '../../shared/compress/spec';
import { attachCheckpoints } from '../checkpoint/checkpoint';
import type { CheckpointStore } from '../checkpoint/checkpointStore';
import { TrainingCoordinator, type Io } from '../run/coordinator';
import type { ExitReason, RunSetup } from '../run/types';
import { createApp } from './http';
import { ConnectionCounter, isLoopback, refuseUpgrade } from './admission';
import { PeerConnections } from './peerConnections';
import { mountPeerSignal } from './peerSignal';
import { statusSnapshot } from './status';
import { expectedShardSizes } from '../round/split';
import { lossWords } from '../model/lossWords';

/**
 * The only place with sockets and timers: express + ws (+ the PeerJS server)
 * on one HTTP server, a single deadline timer for the round engine, and the
 * periodic status push. Everything else is the socket-free coordinator.
 */
export interface StartedCoordinator {
  run: TrainingCoordinator;
  port: number;
  joinUrl: string;
  dashboardUrl: string;
  /** A URL for peers on this machine (headless tabs, node peers). */
  localJoinUrl: string;
  joinToken: string;
  adminToken: string;
  done: Promise<ExitReason>;
  /** The live dashboard feed (its push counters are read by scripts/measure-dashboard.ts). */
  dashboard: DashboardFeed;
  /** The express app, for routes layered on top (coordinator/session: the model view). */
  app: ReturnType<typeof createApp>;
  /** `restarting`: peers are told to reconnect (a resumed coordinator takes them back) rather than to stop. */
  close(opts?: { restarting?: boolean }): Promise<void>;
}

export interface ServerOptions {
  datasetBytes: Uint8Array;
  log: (line: string) => void;
  /** Tokens are random unless given (tests pin them). */
  joinToken?: string;
  adminToken?: string;
  /** --checkpoint-dir: tokens persist there (old join links work after a restart); `resume` loads the newest checkpoint. */
  checkpoint?: { store: CheckpointStore; every: number; resume: boolean };
}

export async function startCoordinator(setup: RunSetup, o: ServerOptions): Promise<StartedCoordinator> {
  const saved = o.checkpoint?.store.tokens(o.checkpoint.resume, { ...(o.joinToken ? { joinToken: o.joinToken } : {}), ...(o.adminToken ? { adminToken: o.adminToken } : {}) });
  const joinToken = saved?.joinToken ?? o.joinToken ?? randomBytes(8).toString('hex');
  const adminToken = saved?.adminToken ?? o.adminToken ?? randomBytes(12).toString('hex');
  let timer: ReturnType<typeof setTimeout> | null = null;
  // Live dashboards: told after every event the coordinator handles (dashboardFeed.ts throttles).
  let dash: DashboardFeed | null = null;
  let joinUrl = '';
  let finish: (r: ExitReason) => void = () => undefined;
  const done = new Promise<ExitReason>((r) => (finish = r));
  const t0 = performance.now();
  const io: Io = {
    now: () => performance.now(),
    send: (peerId, frame) => peers.send(peerId, frame),
    sendParts: (peerId, parts) => peers.sendParts(peerId, parts),
    wakeAt: (at) => {
      if (timer) clearTimeout(timer);
      timer = at === null ? null : setTimeout(() => run.tick(), Math.max(0, at - performance.now()) + 1);
      dash?.changed();
    },
    log: o.log,
    finished: (reason) => {
      sendFinalWeights(run, peers);
      signal.closeAll();
      dash?.changed();
      finish(reason);
    },
  };
  const run = new TrainingCoordinator(setup, io);
  if (o.checkpoint) attachCheckpoints(run, o.checkpoint, o.log);
  const maxPayload = 64 * 1024 + 4 * (setup.model.trainableParams + setup.model.stateParams) * 2;
  const peers = new PeerConnections(run, {
    joinToken,
    maxPayload,
    log: (line) => {
      o.log(line);
      dash?.changed(); // joins and departures
    },
    welcome: (peerId, reconnectToken): WelcomeBody => ({
      peerId,
      reconnectToken,
      runId: setup.runId,
      model: { topology: setup.model.topology, weights: setup.model.specs, trainableParams: setup.model.trainableParams, stateParams: setup.model.stateParams },
      dataset: { url: setup.datasetFile.url, hash: setup.datasetFile.hash, bytes: setup.datasetFile.bytes, name: setup.dataset.meta.name },
      loss: setup.loss,
      ...welcomeCodec(setup.config.compress),
      augment: setup.config.augment,
      ...(setup.config.p2p ? { p2p: true } : {}),
      shardSizes: expectedShardSizes(run.sampler.batchSize, Math.max(setup.config.minPeers, peers.size)),
    }),
  });
  const app = createApp({ datasetHash: setup.datasetFile.hash, datasetBytes: o.datasetBytes, adminToken, status: () => statusSnapshot(run, peers.size, joinUrl), control: (body) => control(body) });
  const control = (body: unknown): ReturnType<typeof applyControl> => {
    const c = applyControl(run, body);
    o.log(`control: ${c.action}${c.to !== undefined ? ` ${c.from} -> ${c.to}` : ''} at step ${c.step}`);
    dash?.changed();
    return c;
  };
  const dashWss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096 });
  const feed = new DashboardFeed(run, { adminToken, joinUrl: () => joinUrl, connections: () => peers.size });
  feed.attach(dashWss);
  dash = feed;
  const server: Server = createServer(app);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload });
  peers.attach(wss);
  // The PeerJS server shares the HTTP server; its WebSocket upgrades are routed below.
  const signal = mountPeerSignal(app, server, { joinToken, maxClients: setup.config.maxPeers, running: () => run.state !== 'done' });
  const counter = new ConnectionCounter({ perAddress: setup.config.maxPerAddress, exempt: isLoopback });
  // Every upgrade: a known route, a free slot for its address, then the route's own gate. Every socket
  // gets an error listener before anything can reach it (a WebSocket 'error' with none kills the process).
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://upgrade');
    const address = req.socket.remoteAddress ?? '';
    const target = url.pathname === '/ws' ? wss : url.pathname === '/dashboard/ws' ? dashWss : url.pathname.startsWith('/peerjs') ? signal.wss : null;
    if (!target) return refuseUpgrade(socket, 404, 'no WebSocket route here');
    if (!counter.admits(address)) return refuseUpgrade(socket, 503, 'too many connections from this address (--max-per-address)');
    if (target === wss && wss.clients.size >= setup.config.maxPeers) return refuseUpgrade(socket, 503, `the run is full (--max-peers ${setup.config.maxPeers})`);
    if (target === signal.wss && !signal.admits(url)) return refuseUpgrade(socket, 403, 'the peer-to-peer service needs the join token (?t=) while the run lasts');
    counter.track(address, socket);
    target.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined); // 'close' follows
      target.emit('connection', ws, req);
    });
  });
  const statusTimer = setInterval(() => pushStatus(run, peers), 1000);
  const progressTimer = setInterval(() => progress(run, o.log), setup.config.progressSeconds * 1000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(setup.config.port, setup.config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const lan = setup.config.host === '0.0.0.0' || setup.config.host === '::' ? lanAddress() : setup.config.host;
  const base = `http://${lan}:${port}`;
  joinUrl = `${base}/?t=${joinToken}`;
  const local = `http://127.0.0.1:${port}`;
  o.log(`listening in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return {
    run,
    port,
    joinToken,
    adminToken,
    joinUrl,
    localJoinUrl: `${local}/?t=${joinToken}`,
    dashboardUrl: `${base}/dashboard?admin=${adminToken}`,
    done,
    dashboard: feed,
    app,
    close: async (opts = {}) => {
      clearInterval(statusTimer);
      dash?.close();
      clearInterval(progressTimer);
      if (timer) clearTimeout(timer);
      if (opts.restarting) peers.closeAll(CloseStatus.SERVICE_RESTART, 'coordinator restarting: reconnect');
      else peers.closeAll(CloseStatus.TRAINING_DONE, 'coordinator shut down');
      signal.closeAll();
      for (const c of wss.clients) c.terminate();
      // close() waits for every open connection: a tab's in-flight request (a
      // PeerJS poll, a dataset download) would hold the exit forever, so they go now.
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** At the end, every tab gets the final weights (its drawing pad predicts with them). */
function sendFinalWeights(run: TrainingCoordinator, peers: PeerConnections): void {
  const frame = encodeWeights({ weightsVersion: run.store.version, weights: encodeFp32(run.store.weights) });
  for (const p of run.peers.values()) if (p.status !== 'gone' && p.status !== 'reconnecting') peers.send(p.id, frame);
}

function pushStatus(run: TrainingCoordinator, peers: PeerConnections): void {
  const ranked = [...run.peers.values()].sort((a, b) => b.samples - a.samples);
  const total = ranked.reduce((a, p) => a + p.samples, 0);
  const last = run.history.at(-1);
  const val = run.evaluator.final.valAccuracy;
  ranked.forEach((p, i) => {
    if (p.status === 'gone' || p.status === 'reconnecting') return;
    peers.send(
      p.id,
      encodeStatus({
        state: run.state,
        step: run.step,
        epoch: run.sampler.epoch,
        peers: run.readyPeers,
        loss: last ? last.loss : null,
        valAccuracy: val,
        you: { steps: p.steps, samples: p.samples, share: total > 0 ? p.samples / total : 0, rank: i + 1, of: ranked.length, name: p.nickname.slice(0, 64), speed: Number.isFinite(p.speed) && p.speed > 0 ? Math.round(p.speed) : 0 },
      }),
    );
  });
}

function progress(run: TrainingCoordinator, log: (l: string) => void): void {
  if (run.state === 'done') return;
  if (run.state === 'waiting' || run.readyPeers === 0) {
    log(`waiting for peers (${run.readyPeers} ready of ${run.setup.config.minPeers} needed)`);
    return;
  }
  const last = run.history.at(-1);
  log(`step ${run.step}/${run.totalSteps} epoch ${run.sampler.epoch + 1} ${lossWords(run.setup.dataset.meta.task, last ? last.loss : null)} samples/s ${run.samplesPerSec().toFixed(0)} peers ${run.readyPeers} ${run.state}`);
}

function lanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
