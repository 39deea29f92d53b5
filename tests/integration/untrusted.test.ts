import { describe, expect, it } from 'vitest';
import { buildReport } from '../../coordinator/report';
import { KEEP_DEPARTED } from '../../coordinator/run/roster';
import type { ConfigInput } from '../../shared/config/schema';
import { Sim } from './sim';

/**
 * A fleet the coordinator does not have to trust (issue 13, the step path):
 * what a peer claims is checked, a peer's bad output costs that peer, and
 * only the aggregated update can end the run. Fake clock, node peers' trainer.
 */
const job: ConfigInput = { dataset: 'mnist', model: 'mlp', hidden: [16], optimizer: 'momentum', batchSize: 60, steps: 4, seed: 5, minPeers: 2 };

describe('an untrusted fleet', () => {
  it('a speed claimed at warm-up is checked against the first shard', async () => {
    const sim = await Sim.create(job);
    sim.join('honest');
    const liar = sim.join('liar');
    sim.run.ready(liar.id, 1e6, 0); // claims 1000x its real speed (the sim computes 1 ms per sample)
    await sim.drive();
    expect(sim.finished).toBe('completed');
    const p = sim.run.peers.get(liar.id)!;
    expect(p.speed).toBeGreaterThan(500);
    expect(p.speed).toBeLessThan(2000); // measured, not believed
    expect(sim.logs.some((l) => /liar .* claimed 1000000 samples\/s at warm-up; its first shard measured 1000/.test(l))).toBe(true);
  });

  it('2,000 connect/leave cycles leave a bounded roster; the report keeps their totals', async () => {
    const sim = await Sim.create({ ...job, steps: 2 });
    sim.join('a');
    sim.join('b');
    await sim.drive();
    expect(sim.finished).toBe('completed');
    const worked = [...sim.run.peers.values()].reduce((s, p) => s + p.samples, 0);
    for (let i = 0; i < 2000; i++) sim.leave(sim.join(`visitor-${i}`), false);
    for (const name of ['a', 'b']) sim.leave(sim.peer(name), false);
    expect(sim.run.peers.size).toBeLessThanOrEqual(KEEP_DEPARTED);
    const report = buildReport(sim.run, 1) as { peers: { samples: number }[]; departedPeers: { peers: number; samples: number } };
    expect(report.peers.length + report.departedPeers.peers).toBe(2002);
    expect(report.peers.reduce((s, p) => s + p.samples, 0) + report.departedPeers.samples).toBe(worked);
  });

  it('finite but huge gradients: the run is declared diverged from the updated weights, at the first update', async () => {
    const sim = await Sim.create({ ...job, optimizer: 'sgd', lr: 100 });
    sim.join('a');
    sim.join('b');
    sim.hook = (a) => {
      if (a.task.kind !== 0) return false;
      expect(sim.sendGrad(a.peer, a.task, { values: 3e38 })).toBeNull(); // finite: every check passes
      return true;
    };
    await sim.drive();
    expect(sim.finished).toBe('diverged');
    expect(sim.run.step).toBe(0); // the non-finite update is not recorded as a step
    expect(sim.logs).toContain('training diverged: the updated weights have NaN or Infinity; lower the learning rate');
    for (const p of sim.run.peers.values()) expect(p.quarantine).toBeUndefined();
  });
});
