import { beforeAll, describe, expect, it } from 'vitest';
import { fleetRun, type FleetResult } from './fleet';

/**
 * Five node peers train the quick MNIST MLP (tests/security/fleet.ts: 2
 * epochs, 320 steps of 50, 16,000 samples), one of them attacking with a real gradient turned bad on the
 * way out. Plain averaging collapses under a scaled gradient; centered
 * clipping keeps the model within 2 points of the clean run's test accuracy
 * for the attacks it bounds (any gradient far from the others'). The full
 * attack x rule table: `npx tsx scripts/attack-table.ts`.
 */
let clean: FleetResult;
/**
 * Two epochs: at 160 steps clip under scale:-100 came 1.0-3.5 points below the clean run from one
 * run to the next (shard sizes follow the peers' measured speeds, so the split differs run to run);
 * with twice the steps both are nearer convergence and the gap is the rule's, not the noise's.
 */
const LONG = { steps: 320 };

beforeAll(async () => {
  clean = await fleetRun('mean', null, 4, LONG);
  console.log(`clean mean: test accuracy ${clean.testAccuracy}`);
}, 300_000);

describe('one attacker among five peers', () => {
  it('the clean run trains, with exact accounting', () => {
    expect(clean.exit).toBe('completed');
    expect(clean.samplesUsed).toBe(320 * 50);
    expect(clean.testAccuracy).toBeGreaterThan(0.75);
  });

  it('mean collapses under scale:-100 (to about chance)', async () => {
    const r = await fleetRun('mean', 'scale:-100', 4, { steps: 80 }); // collapse needs no long run
    console.log(`mean x scale:-100: ${r.testAccuracy}`);
    expect(r.exit).toBe('completed');
    expect(r.testAccuracy).toBeLessThan(0.3);
  });

  it.each([
    // [rule, attack, points below the clean run allowed]
    ['clip', 'noise', 0.02],
    ['krum:1', 'scale:-100', 0.02],
    // Plain adaptive clipping left a persistent scaled peer a bias of ~tau/4 and came 2.9-3.5 points below the
    // clean run; scored by its momentum with 1/r weights, 0.8 and 2.4 points below (the attacker's share of a
    // batch follows its speed); with weights that redescend far out (coordinator/aggregate/centeredClip.ts),
    // in-process with the attacker holding 35% of each batch: 0.3-0.7 points (scripts/clip-study.ts --share 0.35).
    ['clip', 'scale:-100', 0.02],
  ] as const)('%s keeps %s within %s of the clean run', async (rule, attack, allowed) => {
    const r = await fleetRun(rule, attack, 4, LONG);
    console.log(`${rule} x ${attack}: ${r.testAccuracy} (clean ${clean.testAccuracy})`);
    expect(r.exit).toBe('completed');
    expect(r.samplesUsed).toBe(320 * 50);
    expect(r.testAccuracy).toBeGreaterThan(clean.testAccuracy - allowed);
  }, 300_000); // 320 steps of five peers: 100-120 s at load 15
});
