import { describe, expect, it } from 'vitest';
import { plainWords } from '../../coordinator/cli/plainWords';
import { historyCsv, summarize } from '../../coordinator/session/runSummary';

/** What the history panel, the CSV export and the comparison report are made of. */
const report = {
  runId: 'r1',
  config: { dataset: 'spiral', model: 'mlp', hidden: [16, 16], optimizer: 'adam', lr: 0.01, batchSize: 64, mode: 'sync', epochs: 2, port: 8475 },
  steps: 3,
  wallSeconds: 4.26,
  samplesPerSec: 150.4,
  history: [
    { step: 1, epoch: 0, t: 0.5, loss: 0.9, lr: 0.01, peers: 2, samples: 64, ms: 20, computeMs: 15, updateMs: 1 },
    { step: 2, epoch: 0, t: 1.0, loss: 0.7, lr: 0.01, peers: 2, samples: 64, ms: 20, computeMs: 15, updateMs: 1 },
    { step: 3, epoch: 1, t: 1.5, loss: 0.5, lr: 0.01, peers: 2, samples: 64, ms: 20, computeMs: 15, updateMs: 1 },
  ],
  evals: [
    { epoch: 0, step: 2, split: 'val', pass: 'epoch', valAccuracy: 0.6, valLoss: 0.8 },
    { epoch: 1, step: 3, split: 'val', pass: 'epoch', valAccuracy: 0.75, valLoss: 0.6 },
    { epoch: 1, step: 3, split: 'test', pass: 'final', valAccuracy: 0.7, valLoss: 0.6 },
  ],
  final: { testAccuracy: 0.7, testLoss: 0.6 },
  exitReason: 'completed',
};

describe('run summary', () => {
  it('keeps the compared settings, the result and both curves (epochs from 1, seconds from the step)', () => {
    const s = summarize(2, report);
    expect(s.label).toBe('#2 spiral mlp 16,16 adam lr 0.01 batch 64 sync');
    expect(s.settings).not.toHaveProperty('port');
    expect(s.loss).toEqual([
      [1, 0.5, 0.9],
      [2, 1, 0.7],
      [3, 1.5, 0.5],
    ]);
    expect(s.valAccuracy).toEqual([
      [1, 1, 0.6],
      [2, 1.5, 0.75],
    ]);
    expect([s.testAccuracy, s.wallSeconds, s.samplesPerSec]).toEqual([0.7, 4.3, 150]);
  });

  it('CSV: a header, then one row per step with the epoch from 1 and the validation accuracy where measured', () => {
    const rows = historyCsv(report).trim().split('\n');
    expect(rows).toEqual([
      'step,epoch,t,loss,lr,peers,samples,ms,computeMs,updateMs,val_accuracy',
      '1,1,0.5,0.9,0.01,2,64,20,15,1,',
      '2,1,1,0.7,0.01,2,64,20,15,1,0.6',
      '3,2,1.5,0.5,0.01,2,64,20,15,1,0.75',
    ]);
  });
});

describe('validation messages in plain words', () => {
  it.each([
    ['Too small: expected number to be >=0', 'must be 0 or more'],
    ['Too small: expected number to be >0', 'must be more than 0'],
    ['Too big: expected number to be <=64', 'must be 64 or less'],
    ['Invalid input: expected int, received number', 'must be a whole number'],
    ['Invalid input: expected number, received string', 'must be a number'],
    ['Invalid option: expected one of "sync"|"async"', 'must be one of sync, async'],
    ['Too small: expected array to have >=1 items', 'needs at least one value'],
    ['something else', 'something else'],
  ])('%s', (zod, plain) => expect(plainWords(zod)).toBe(plain));
});
