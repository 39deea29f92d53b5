import { beforeAll, describe, expect, it } from 'vitest';
import '../../coordinator/tfjsNode';
import { parseConfig } from '../../shared/config/parse';
import { prepareRun, type PreparedRun } from '../../coordinator/setup';
import { applyControl } from '../../coordinator/dashboard/controls';
import { isTabtrainError } from '../../shared/errors';
import { TrainingCoordinator, type Io } from '../../coordinator/run/coordinator';

/** The controls on a coordinator with no sockets: what they accept, refuse and log. */
let prepared: PreparedRun;
beforeAll(async () => {
  prepared = await prepareRun(parseConfig({ dataset: 'xor', samples: 200, model: 'logreg', epochs: 3, batchSize: 16, host: '127.0.0.1', port: 0, peers: 0 }));
});

function coordinator(): TrainingCoordinator {
  let t = 0;
  const io: Io = { now: () => (t += 1), send: () => undefined, wakeAt: () => undefined, log: () => undefined, finished: () => undefined };
  return new TrainingCoordinator(prepared.setup, io);
}

function refusal(run: TrainingCoordinator, body: unknown): string {
  try {
    applyControl(run, body);
  } catch (e) {
    if (isTabtrainError(e)) return `${e.code} ${e.httpStatus}`;
    throw e;
  }
  return 'accepted';
}

describe('dashboard controls', () => {
  it('refuses malformed requests with CONTROL_INVALID', () => {
    const run = coordinator();
    expect(refusal(run, null)).toBe('CONTROL_INVALID 400');
    expect(refusal(run, { action: 'explode' })).toBe('CONTROL_INVALID 400');
    expect(refusal(run, { action: 'lr', value: -1 })).toBe('CONTROL_INVALID 400');
    expect(refusal(run, { action: 'lr', value: 'fast' })).toBe('CONTROL_INVALID 400');
    expect(refusal(run, { action: 'optimizer', value: 'lion' })).toBe('CONTROL_INVALID 400');
    expect(refusal(run, { action: 'batchSize', value: 2.5 })).toBe('CONTROL_INVALID 400');
    expect(run.controls).toEqual([]);
  });

  it('refuses values out of range with the accepted range in the message (issue 13)', () => {
    const run = coordinator();
    const message = (body: unknown): string => {
      try {
        applyControl(run, body);
      } catch (e) {
        if (isTabtrainError(e)) return `${e.code} ${e.httpStatus} ${e.message}`;
        throw e;
      }
      return 'accepted';
    };
    expect(message({ action: 'lr', value: 1e308 })).toBe('CONTROL_INVALID 400 lr must be in (0, 10], got 1e+308');
    expect(message({ action: 'lr', value: 0 })).toBe('CONTROL_INVALID 400 lr must be in (0, 10], got 0');
    expect(message({ action: 'lr', value: 'Infinity' })).toBe('CONTROL_INVALID 400 lr must be in (0, 10], got Infinity');
    expect(message({ action: 'batchSize', value: 1e9 })).toBe('CONTROL_INVALID 400 batchSize must be a whole number in [1, 1000000], got 1000000000');
    const train = run.sampler.trainSize;
    expect(message({ action: 'batchSize', value: train + 1 })).toBe(
      `CONTROL_INVALID 400 batchSize must be a whole number in [1, ${train}] (the training split has ${train} samples), got ${train + 1}`,
    );
    expect(message({ action: 'pause', value: 3 })).toMatch(/^CONTROL_INVALID 400 unknown field "value"/);
    expect(message([])).toMatch(/^CONTROL_INVALID 400 send a JSON object/);
    expect(run.controls).toEqual([]);
    // The bounds themselves are accepted.
    expect(message({ action: 'lr', value: 10 })).toBe('accepted');
    expect(message({ action: 'batchSize', value: train })).toBe('accepted');
  });

  it('changes lr, optimizer and batch size for the next step, and logs each', () => {
    const run = coordinator();
    const train = run.sampler.trainSize;
    expect(run.totalSteps).toBe(3 * Math.ceil(train / 16));
    applyControl(run, { action: 'lr', value: '0.05' });
    expect(run.lr).toBe(0.05);
    applyControl(run, { action: 'optimizer', value: 'momentum' });
    expect(run.optimizer.name).toBe('momentum');
    applyControl(run, { action: 'batchSize', value: 64 });
    expect(run.sampler.batchSize).toBe(64);
    // Whole epochs still end the run: the remaining steps follow the new batch.
    expect(run.totalSteps).toBe(3 * Math.ceil(train / 64));
    expect(run.controls.map((c) => [c.action, c.from, c.to, c.step])).toEqual([
      ['lr', run.setup.lr, 0.05, 0],
      ['optimizer', 'adam', 'momentum', 0],
      ['batchSize', 16, 64, 0],
    ]);
  });

  it('refuses what does not apply: start with no peer, resume when running, anything once done', () => {
    const run = coordinator();
    expect(refusal(run, { action: 'start' })).toBe('CONTROL_REFUSED 409');
    applyControl(run, { action: 'pause' });
    expect(refusal(run, { action: 'pause' })).toBe('accepted'); // before training starts: remembered, harmless
    applyControl(run, { action: 'stop' });
    expect(run.state).toBe('done');
    expect(refusal(run, { action: 'lr', value: 0.1 })).toBe('CONTROL_REFUSED 409');
    expect(run.controls.map((c) => c.action)).toEqual(['pause', 'pause', 'stop']);
  });
});
