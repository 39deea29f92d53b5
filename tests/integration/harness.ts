import '../../coordinator/tfjsNode';
import { startNodePeer } from '../../client/node/nodePeer';
import type { PeerSession } from '../../client/peer/session';
import { parseConfig } from '../../shared/config/parse';
import type { ConfigInput } from '../../shared/config/schema';
import { startCoordinator, type StartedCoordinator } from '../../coordinator/server/server';
import { prepareRun, type PreparedRun } from '../../coordinator/setup';
import { CheckpointStore } from '../../coordinator/checkpoint/checkpointStore';
import type { ExitReason } from '../../coordinator/run/types';

/**
 * A real coordinator on loopback with real node peers (the tabs' own session
 * and trainer code on tfjs cpu), as the integration tests use it.
 */
export interface Harness {
  c: StartedCoordinator;
  prepared: PreparedRun;
  peers: PeerSession[];
  logs: string[];
  addPeer(nickname?: string): PeerSession;
  done: Promise<ExitReason>;
  close(): Promise<void>;
}

export const prepared = new Map<string, Promise<PreparedRun>>();

export async function startHarness(config: ConfigInput, nodePeers: number): Promise<Harness> {
  const cfg = parseConfig({ host: '127.0.0.1', port: 0, peers: 0, progressSeconds: 3600, ...config });
  const p = await prepareRun(cfg);
  const logs: string[] = [];
  // As the CLI does: --checkpoint-dir brings periodic checkpoints, persistent tokens and --resume.
  const checkpoint = cfg.checkpointDir ? { store: new CheckpointStore(cfg.checkpointDir, cfg.checkpointKeep, (l) => logs.push(l)), every: cfg.checkpointEvery, resume: cfg.resume } : undefined;
  const c = await startCoordinator(p.setup, { datasetBytes: p.datasetBytes, log: (l) => logs.push(l), ...(checkpoint ? { checkpoint } : {}) });
  const peers: PeerSession[] = [];
  const addPeer = (nickname?: string): PeerSession => {
    const s = startNodePeer({ joinUrl: c.localJoinUrl, nickname: nickname ?? `node-${peers.length + 1}` });
    peers.push(s);
    return s;
  };
  for (let i = 0; i < nodePeers; i++) addPeer();
  return {
    c,
    prepared: p,
    peers,
    logs,
    addPeer,
    done: c.done,
    close: async () => {
      for (const s of peers) s.stop();
      await c.close();
    },
  };
}
