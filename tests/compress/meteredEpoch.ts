import { expect } from 'vitest';
import { startNodePeer } from '../../client/node/nodePeer';
import { meterTrace, wireMeter, type WireCount, type WireMeter } from '../../bench/replay/wireMeter';
import type { TrainingCoordinator } from '../../coordinator/run/coordinator';
import type { ConfigInput } from '../../shared/config/schema';
import { startHarness } from '../integration/harness';

/**
 * One epoch of the MLP on embedded MNIST (global batch 64), `config` on top:
 * a real coordinator and two node peers over ws on loopback, each peer's
 * socket metered. `check` sees the finished run and the meters.
 */
export async function meteredEpoch(config: ConfigInput, check: (run: TrainingCoordinator, meters: WireMeter[]) => void): Promise<void> {
  const h = await startHarness({ dataset: 'mnist', model: 'mlp', epochs: 1, batchSize: 64, minPeers: 2, ...config }, 0);
  const meters = [wireMeter(), wireMeter()];
  meters.forEach((meter, i) => h.peers.push(startNodePeer({ joinUrl: h.c.localJoinUrl, nickname: `node-${i + 1}`, trace: meterTrace(meter) })));
  try {
    expect(await h.done).toBe('completed');
    check(h.c.run, meters);
  } finally {
    await h.close();
  }
}

/** One kind of message ('GRAD', 'TASK/train', ...) over every peer, in one direction. */
export function total(meters: WireMeter[], side: 'sent' | 'received', kind: string): WireCount {
  return meters.reduce((a, m) => ({ frames: a.frames + (m[side][kind]?.frames ?? 0), bytes: a.bytes + (m[side][kind]?.bytes ?? 0) }), { frames: 0, bytes: 0 });
}
