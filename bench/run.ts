import '../coordinator/tfjsNode';
import { parseConfig } from '../shared/config/parse';
import type { ConfigInput } from '../shared/config/schema';
import { startCoordinator, type StartedCoordinator } from '../coordinator/server/server';
import { prepareRun, type PreparedRun } from '../coordinator/setup';

/** A coordinator on loopback for one bench configuration (peers are the caller's). */
export interface BenchRun {
  c: StartedCoordinator;
  prepared: PreparedRun;
  logs: string[];
  close(): Promise<void>;
}

export async function startRun(config: ConfigInput): Promise<BenchRun> {
  const cfg = parseConfig({ host: '127.0.0.1', port: 0, peers: 0, progressSeconds: 3600, ...config });
  const prepared = await prepareRun(cfg);
  const logs: string[] = [];
  const c = await startCoordinator(prepared.setup, { datasetBytes: prepared.datasetBytes, log: (l) => logs.push(l) });
  return { c, prepared, logs, close: () => c.close() };
}

/** Resolves with the run's end, or rejects after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}
