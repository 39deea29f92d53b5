import { beforeAll, describe, expect, it } from 'vitest';
import { fleetRun, type FleetResult } from './fleet';

/**
 * Five node peers train the quick MNIST MLP (tests/security/fleet.ts: 160
 * steps of 50, 8,000 samples), one of them attacking with a real gradient turned bad on the
 * way out. Plain averaging collapses under a scaled gradient; centered
 * clipping keeps the model within 2 points of the clean run's test accuracy
 * for the attacks it bounds (any gradient far from the others'). The full
 * attack x rule table: `npx tsx scripts/attack-table.ts`.
 */
let clean: FleetResult;

beforeAll(async () => {
  clean = await fleetRun('mean', null);
  console.log(`clean mean: test accuracy ${clean.testAccuracy}`);
}, 300_000);

describe('one attacker among five peers', () => {
  it('the clean run trains, with exact accounting', () => {
    expect(clean.exit).toBe('completed');
    expect(clean.samplesUsed).toBe(160 * 50);
    expect(clean.testAccuracy).toBeGreaterThan(0.75);
  });

  it('mean collapses under scale:-100 (to about chance)', async () => {
    const r = await fleetRun('mean', 'scale:-100', 4, { steps: 80 }); // collapse needs no long run
    console.log(`mean x scale:-100: ${r.testAccuracy}`);
    expect(r.exit).toBe('completed');
    expect(r.testAccuracy).toBeLessThan(0.3);
  });

  it.each(['scale:-100', 'noise'])('clip keeps %s within 2 points of the clean run', async (attack) => {
    const r = await fleetRun('clip', attack);
    console.log(`clip x ${attack}: ${r.testAccuracy} (clean ${clean.testAccuracy})`);
    expect(r.exit).toBe('completed');
    expect(r.samplesUsed).toBe(160 * 50);
    expect(r.testAccuracy).toBeGreaterThan(clean.testAccuracy - 0.02);
  });
});
