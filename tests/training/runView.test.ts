import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingCoordinator, type Io } from '../../coordinator/run/coordinator';
import type { RunView } from '../../coordinator/run/view';
import { buildReport } from '../../coordinator/report';
import { dashboardBase } from '../../coordinator/server/status';
import { prepareRun, type PreparedRun } from '../../coordinator/setup';
import { parseConfig } from '../../shared/config/parse';

/**
 * The report and the status feed read the run through RunView
 * (coordinator/run/view.ts): a write through it does not compile (the
 * `@ts-expect-error` lines below fail `tsc` the day one of them compiles),
 * and reading it leaves the run as it was.
 */
let prepared: PreparedRun;
beforeAll(async () => {
  prepared = await prepareRun(parseConfig({ dataset: 'xor', samples: 200, model: 'logreg', epochs: 1, batchSize: 16, host: '127.0.0.1', port: 0, peers: 0 }));
});

/** Never called: type-checked only. */
export function writesThroughTheView(v: RunView): void {
  // @ts-expect-error the step is the run's
  v.step = 3;
  // @ts-expect-error the stage is the stage machine's
  v.state = 'done';
  // @ts-expect-error history rows are appended by the step's rule only
  v.history.push({ step: 1, epoch: 0, loss: 0, lr: 0, peers: 0, ms: 0, computeMs: 0, updateMs: 0, samples: 0, t: 0 });
  // @ts-expect-error a peer record's counters
  v.peers.get('p1')!.samples = 0;
  // @ts-expect-error the roster
  v.peers.delete('p1');
  // @ts-expect-error the accounting
  v.accounting[0]!.samplesUsed = 0;
  // @ts-expect-error the configuration, nested
  v.setup.config.hidden![0] = 1;
  // @ts-expect-error the engine's counters
  v.engine.counters.reassigned++;
  // @ts-expect-error the evaluator's record
  v.evaluator.evals.length = 0;
  // @ts-expect-error the controls applied
  v.controls.splice(0);
}

describe('read-only run view', () => {
  it('the run is a RunView as it stands; the report and the status base read it without changing it', () => {
    let t = 0;
    const io: Io = { now: () => (t += 1), send: () => undefined, wakeAt: () => undefined, log: () => undefined, finished: () => undefined };
    const run = new TrainingCoordinator(prepared.setup, io);
    const view: RunView = run;
    const before = JSON.stringify({ state: run.state, step: run.step, history: run.history, accounting: run.accounting, config: run.setup.config, counters: run.engine.counters });
    const report = buildReport(view, 1);
    const base = dashboardBase(view, 0, 'http://127.0.0.1:1/?t=x');
    expect(report.steps).toBe(0);
    expect(base.state).toBe('waiting');
    expect(JSON.stringify({ state: run.state, step: run.step, history: run.history, accounting: run.accounting, config: run.setup.config, counters: run.engine.counters })).toBe(before);
  });
});
