import { startNodePeer } from '../../client/node/nodePeer';
import { parseAttack } from '../../client/node/attack';
import type { ConfigInput } from '../../shared/config/schema';
import { startHarness } from '../integration/harness';

/**
 * One quick MNIST MLP run on loopback with `honest` node peers and at most
 * one attacker, under an aggregation rule; returns what the report would say.
 */
export const QUICK: ConfigInput = { dataset: 'mnist', model: 'mlp', hidden: [32], batchSize: 50, steps: 160, seed: 3 };

export interface FleetResult {
  testAccuracy: number;
  steps: number;
  samplesUsed: number;
  exit: string;
  seconds: number;
  /** Peers quarantined (by nickname): the step it happened at (spot checks) and why. */
  quarantined: { nickname: string; code: string; atStep: number | null; reason: string }[];
  /** Spot checks passed and failed by nickname. */
  checks: Record<string, { passed: number; failed: number }>;
  spot: { checks: number; refereed: number; maxAgreeing: number };
  logs: string[];
}

export async function fleetRun(aggregate: string, attack: string | null, honest = 4, extra: ConfigInput = {}, attackers = 1): Promise<FleetResult> {
  const t0 = performance.now();
  const n = attack ? attackers : 0;
  const h = await startHarness({ ...QUICK, aggregate, minPeers: honest + n, ...extra }, honest);
  const bads = [...Array(n).keys()].map((k) => startNodePeer({ joinUrl: h.c.localJoinUrl, nickname: `attacker-${attack}${k === 0 ? '' : `-${k + 1}`}`, attack: parseAttack(attack!) }));
  try {
    const exit = await h.done;
    const run = h.c.run;
    const trust = run.spot.table();
    const peers = [...run.peers.values()];
    return {
      quarantined: peers.filter((p) => p.quarantine).map((p) => ({ nickname: p.nickname, code: p.quarantine!.code, atStep: trust[p.id]?.quarantinedAtStep ?? null, reason: p.quarantine!.reason })),
      checks: Object.fromEntries(peers.map((p) => [p.nickname, { passed: trust[p.id]?.passed ?? 0, failed: trust[p.id]?.failed ?? 0 }])),
      spot: { checks: run.spot.stats.checks, refereed: run.spot.stats.refereed, maxAgreeing: run.spot.stats.maxAgreeing },
      logs: h.logs,
      testAccuracy: h.c.run.evaluator.final.testAccuracy ?? Number.NaN,
      steps: h.c.run.step,
      samplesUsed: h.c.run.accounting.reduce((a, e) => a + e.samplesUsed, 0),
      exit,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const b of bads) b.stop();
    await h.close();
  }
}
