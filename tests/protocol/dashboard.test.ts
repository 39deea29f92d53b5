import { beforeAll, describe, expect, it } from 'vitest';
import '../../coordinator/tfjsNode';
import { parseConfig } from '../../shared/config/parse';
import { prepareRun, type PreparedRun } from '../../coordinator/setup';
import { dashboardBase } from '../../coordinator/server/status';
import { TrainingCoordinator, type Io } from '../../coordinator/run/coordinator';
import { parseDashboardMessage } from '../../shared/protocol/dashboard';

/**
 * The dashboard feed's contract: what the coordinator builds is what the
 * page's parser accepts, through JSON, and anything else is refused with
 * where it went wrong.
 */
let prepared: PreparedRun;
beforeAll(async () => {
  prepared = await prepareRun(parseConfig({ dataset: 'xor', samples: 200, model: 'logreg', epochs: 3, batchSize: 16, host: '127.0.0.1', port: 0, peers: 0 }));
});

function message(history: unknown[] = []): Record<string, unknown> {
  let t = 0;
  const io: Io = { now: () => (t += 1), send: () => undefined, wakeAt: () => undefined, log: () => undefined, finished: () => undefined };
  const run = new TrainingCoordinator(prepared.setup, io);
  const base = dashboardBase(run, 0, 'http://127.0.0.1:1/?t=x');
  return { type: 'status', sentAt: 1, runStartedAt: 0, base, history: { from: 0, items: history }, breakdown: { from: 0, items: [] } };
}

const step = { step: 1, epoch: 0, loss: 0.5, lr: 0.001, peers: 2, ms: 12, computeMs: 8, updateMs: 1, samples: 16, t: 0.2 };

describe('dashboard feed contract', () => {
  it('parses what the coordinator builds, through JSON', () => {
    const r = parseDashboardMessage(JSON.stringify(message([step])));
    expect(r).toMatchObject({ ok: true, message: { type: 'status', base: { state: 'waiting', dataset: { name: 'xor' } }, history: { items: [step] } } });
  });

  it('reads a diverged loss back as NaN (JSON writes NaN as null)', () => {
    const r = parseDashboardMessage(JSON.stringify(message([{ ...step, loss: Number.NaN }])));
    if (!r.ok || r.message.type !== 'status') throw new Error(r.ok ? 'not a status' : r.problem);
    expect(r.message.history.items[0]!.loss).toBeNaN();
  });

  it('refuses a message that does not match, saying where', () => {
    const m = message([{ ...step, samples: 'many' }]);
    expect(parseDashboardMessage(JSON.stringify(m))).toEqual({ ok: false, problem: expect.stringMatching(/^a dashboard message is invalid at history\.items\.0\.samples: /) });
    const b = message();
    (b.base as Record<string, unknown>).state = 'exploding';
    expect(parseDashboardMessage(JSON.stringify(b))).toMatchObject({ ok: false, problem: expect.stringContaining('at base.state') });
    expect(parseDashboardMessage('{nope')).toEqual({ ok: false, problem: 'a dashboard message is not JSON' });
    expect(parseDashboardMessage(JSON.stringify({ type: 'error', code: 'BAD_TOKEN', message: 'wrong token' }))).toMatchObject({ ok: true, message: { type: 'error', code: 'BAD_TOKEN' } });
  });
});
