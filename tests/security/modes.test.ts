import { beforeAll, describe, expect, it } from 'vitest';
import { fleetRun, type FleetResult } from './fleet';

/**
 * Robust aggregation and spot checks in async and local-steps modes: five
 * node peers on loopback (tests/security/fleet.ts), one attacking with a real
 * gradient (or weight change) turned bad on the way out.
 *
 * Async: every update has one contribution; median, trimmed mean and Krum
 * judge it against the window of other peers' recent ones
 * (coordinator/aggregate/asyncWindow.ts), clip against the previous update.
 * Before the window, median and Krum passed an async contribution through and
 * collapsed like the mean.
 * Local steps: each peer's contribution is its weight change over H inner
 * steps (x its count); the rules take them as in sync.
 */
const ASYNC = { mode: 'async' as const, steps: 60 };
const LOCAL = { mode: 'local' as const, localSteps: 4, steps: 60 };

describe('async mode, one attacker among five', () => {
  let clean: FleetResult;
  beforeAll(async () => {
    clean = await fleetRun('mean', null, 5, ASYNC);
    console.log(`async clean mean: ${clean.testAccuracy}`);
  }, 300_000);

  it('mean collapses under scale:-100', async () => {
    const r = await fleetRun('mean', 'scale:-100', 4, ASYNC);
    console.log(`async mean x scale:-100: ${r.testAccuracy} (${r.exit})`);
    expect(r.exit === 'diverged' || r.testAccuracy < 0.3).toBe(true);
  });

  // Async results depend on the order the batches arrive in, which changes from run to run. Measured at 60 steps
  // against clean 0.73-0.75 (mean: 0.03-0.08): krum:1 0.675, 0.675, 0.686, 0.694, 0.694, 0.723, 0.727, 0.731 (0.7 to 6.2
  // points below; later, at load 11, 0.629 against 0.74: 11.1 below); clip 0.577, 0.681, 0.693, 0.693, 0.707, 0.711, 0.721, 0.730 (1 to 17 below); median 0.588, 0.664,
  // 0.674, 0.678, 0.683, 0.708, 0.726, 0.733, 0.741 (0 to 15 below). Each bound covers that spread: robust rules
  // bound the damage in async mode, but none matches the clean run every time.
  it.each([
    ['krum:1', 0.15],
    ['clip', 0.2],
    ['median', 0.2],
  ] as const)('%s keeps scale:-100 within %s of the clean run, every sample used once (mean collapses)', async (rule, allowed) => {
    const r = await fleetRun(rule, 'scale:-100', 4, ASYNC);
    console.log(`async ${rule} x scale:-100: ${r.testAccuracy} (clean ${clean.testAccuracy})`);
    expect(r.exit).toBe('completed');
    expect(r.samplesUsed).toBe(60 * 50);
    expect(r.testAccuracy).toBeGreaterThan(clean.testAccuracy - allowed);
  });
});

describe('async spot checks: three copies of a batch at once, on the same weights', () => {
  it('quarantine a sign-flip peer and no honest one; every sample applied once', async () => {
    const r = await fleetRun('mean', 'sign-flip', 4, { ...ASYNC, spotCheck: 0.3 });
    const caught = r.quarantined.find((q) => q.nickname.startsWith('attacker'));
    console.log(`async spot checks: ${JSON.stringify(r.quarantined)} ${JSON.stringify(r.spot)} ${JSON.stringify(r.checks)}`);
    expect(caught?.code).toBe('SPOT_CHECK_FAILED');
    expect(r.quarantined.filter((q) => !q.nickname.startsWith('attacker'))).toEqual([]);
    expect(r.exit).toBe('completed');
    expect(r.samplesUsed).toBe(60 * 50);
  });
});

describe('local-steps mode (H = 4), one attacker among five', () => {
  let clean: FleetResult;
  beforeAll(async () => {
    clean = await fleetRun('mean', null, 5, LOCAL);
    console.log(`local clean mean: ${clean.testAccuracy}`);
  }, 300_000);

  it('mean collapses under scale:-100', async () => {
    const r = await fleetRun('mean', 'scale:-100', 4, LOCAL);
    console.log(`local mean x scale:-100: ${r.testAccuracy} (${r.exit})`);
    expect(r.exit === 'diverged' || r.testAccuracy < 0.3).toBe(true);
  });

  it('krum:1 keeps scale:-100 within 5 points of the clean run', async () => {
    const rule = 'krum:1';
    const r = await fleetRun(rule, 'scale:-100', 4, LOCAL);
    console.log(`local ${rule} x scale:-100: ${r.testAccuracy} (clean ${clean.testAccuracy})`);
    expect(r.exit).toBe('completed');
    expect(r.samplesUsed).toBe(60 * 50);
    expect(r.testAccuracy).toBeGreaterThan(clean.testAccuracy - 0.05);
  });

  // Clip in local mode only limits the damage, by a margin that varies from run to run: measured 0.651, 0.661, 0.681 and
  // 0.499 against clean 0.74-0.76 (mean: 0.079-0.113). Its bias, clipped to tau each round and always the same way, is
  // integrated by the outer Nesterov momentum (0.9) over only 15 rounds; krum is the rule to use in local mode for now.
  it('clip keeps at least half of the clean run’s margin over chance under scale:-100 (mean keeps none)', async () => {
    const r = await fleetRun('clip', 'scale:-100', 4, LOCAL);
    console.log(`local clip x scale:-100: ${r.testAccuracy} (clean ${clean.testAccuracy})`);
    expect(r.exit).toBe('completed');
    expect(r.samplesUsed).toBe(60 * 50);
    const chance = 0.1;
    expect(r.testAccuracy).toBeGreaterThan(chance + (clean.testAccuracy - chance) / 2);
  });

  it('spot checks (inner sgd) quarantine a sign-flip peer and no honest one', async () => {
    const r = await fleetRun('mean', 'sign-flip', 4, { ...LOCAL, optimizer: 'sgd', lr: 0.1, spotCheck: 0.5 });
    const caught = r.quarantined.find((q) => q.nickname.startsWith('attacker'));
    console.log(`local spot checks: ${JSON.stringify(r.quarantined)} ${JSON.stringify(r.spot)}`);
    expect(caught?.code).toBe('SPOT_CHECK_FAILED');
    expect(r.quarantined.filter((q) => !q.nickname.startsWith('attacker'))).toEqual([]);
    expect(r.spot.checks).toBeGreaterThan(0);
    expect(r.exit).toBe('completed');
  });
});
