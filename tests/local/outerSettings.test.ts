import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCheckpoint, restoreCheckpoint } from '../../coordinator/checkpoint/checkpoint';
import { parseArgs } from '../../coordinator/cli/args';
import { commandHelp, commandSpec } from '../../coordinator/cli/commands';
import { configFrom } from '../../coordinator/cli/main';
import { applyControl } from '../../coordinator/dashboard/controls';
import { buildReport } from '../../coordinator/report';
import { describeRun } from '../../coordinator/setup';
import type { ConfigInput } from '../../shared/config/schema';
import { Sim } from '../integration/sim';

/**
 * --mode local's outer settings (--outer-optimizer, --outer-lr,
 * --outer-momentum, --local-steps) wherever a person meets them: --help, a
 * --config file under flags, the startup summary, the dashboard's controls
 * (the outer learning rate and optimizer), the report and the checkpoint.
 */
const dir = mkdtempSync(join(tmpdir(), 'tabtrain-outer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job: ConfigInput = {
  dataset: 'circles', samples: 400, model: 'mlp', hidden: [8], mode: 'local', localSteps: 4,
  optimizer: 'adam', lr: 0.01, outerOptimizer: 'nesterov', outerLr: 0.7, outerMomentum: 0.9, batchSize: 32, steps: 8, seed: 5, minPeers: 2,
};

describe('outer settings on the command line', () => {
  it('--help lists them with their defaults and says --optimizer is the inner one in local mode', () => {
    const help = commandHelp(commandSpec('run')!);
    expect(help).toMatch(/--local-steps N +local: inner steps .*default 16/);
    expect(help).toMatch(/--outer-optimizer sgd\|momentum\|nesterov\|adam .*default nesterov/);
    expect(help).toMatch(/--outer-lr X +local: outer learning rate \(default 0\.7\)/);
    expect(help).toMatch(/--outer-momentum X +local: outer momentum \(default 0\.9\)/);
    expect(help).toMatch(/--optimizer .*--mode local: the inner optimizer, in the peers/);
  });

  it('a --config file sets them and flags override it; a wrong one names the flag', () => {
    const file = join(dir, 'local.json');
    writeFileSync(file, JSON.stringify({ mode: 'local', localSteps: 8, outerOptimizer: 'momentum', outerLr: 0.5, outerMomentum: 0.8 }));
    const c = configFrom(parseArgs(['run', '--config', file, '--outer-lr', '0.3']).input);
    expect(c).toMatchObject({ mode: 'local', localSteps: 8, outerOptimizer: 'momentum', outerLr: 0.3, outerMomentum: 0.8 });
    writeFileSync(file, JSON.stringify({ mode: 'local', outerOptimizer: 'rmsprop' }));
    expect(() => configFrom(parseArgs(['run', '--config', file]).input)).toThrow(/--outer-optimizer/);
  });
});

describe('outer settings in a run', () => {
  it('the startup summary states H, the inner optimizer and the outer step', async () => {
    const sim = await Sim.create(job);
    const lines = describeRun(sim.p.setup, sim.run.sampler.stepsPerEpoch, sim.run.totalSteps);
    expect(lines).toContain('mode local: 4 inner steps (adam lr 0.01, in the peers) per round, outer nesterov lr 0.7 momentum 0.9 over the mean weight change');
    const sync = await Sim.create({ ...job, mode: 'sync' });
    expect(describeRun(sync.p.setup, 1, 1).some((l) => l.startsWith('mode local'))).toBe(false);
  });

  it('the dashboard sets the outer optimizer (only an outer one), and the report says so', async () => {
    const sim = await Sim.create(job);
    expect(applyControl(sim.run, { action: 'optimizer', value: 'momentum' })).toMatchObject({ from: 'nesterov', to: 'momentum' });
    expect(sim.run.optimizer.name).toBe('momentum');
    // An inner-only optimizer is not an outer one: refused with what the control does in this mode.
    expect(() => applyControl(sim.run, { action: 'optimizer', value: 'rmsprop' })).toThrow(/outer optimizer \(sgd, momentum, nesterov, adam\)/);
    expect(sim.run.optimizer.name).toBe('momentum');
    expect(buildReport(sim.run, 1).local).toMatchObject({ outerOptimizer: 'momentum', outerMomentum: 0.9, rounds: 0 });
  });

  it('the dashboard sets the outer lr; the report and the checkpoint keep it; a resume with other outer settings is refused', async () => {
    const sim = await Sim.create(job);
    expect(sim.run.lr).toBe(0.7);
    expect(applyControl(sim.run, { action: 'lr', value: 0.5 })).toMatchObject({ from: 0.7, to: 0.5 });
    sim.join('a');
    sim.join('b');
    await sim.drive();
    expect(sim.finished).toBe('completed');

    const r = buildReport(sim.run, 1);
    // 8 global batches in rounds of 4: two outer updates.
    expect(r.local).toEqual({ localSteps: 4, innerOptimizer: 'adam', innerLr: 0.01, outerOptimizer: 'nesterov', outerLr: 0.5, outerMomentum: 0.9, rounds: 2 });
    expect(buildReport((await Sim.create({ ...job, mode: 'sync' })).run, 1).local).toBeNull();

    const ck = captureCheckpoint(sim.run, 'signal');
    expect(ck.meta.lr).toBe(0.5);
    expect(ck.meta.optimizer.name).toBe('nesterov');
    expect(ck.meta.fingerprint).toMatchObject({ mode: 'local', localSteps: 4, outerOptimizer: 'nesterov', outerLr: 0.7, outerMomentum: 0.9 });
    const same = await Sim.create(job);
    restoreCheckpoint(same.run, ck, 'same.ttck');
    expect(same.run.lr).toBe(0.5);
    expect(same.run.step).toBe(8);
    expect(same.run.store.weights).toEqual(sim.run.store.weights);
    const other = await Sim.create({ ...job, outerLr: 0.3 });
    expect(() => restoreCheckpoint(other.run, ck, 'other.ttck')).toThrow(/outerLr = 0.7, this run has 0.3/);
  });
});
