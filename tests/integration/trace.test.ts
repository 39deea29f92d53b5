import { describe, expect, it } from 'vitest';
import { RunTrace, type RunTraceEvent } from '../../coordinator/run/trace';
import { CoordinatorProbe } from '../../bench/probe';
import type { ConfigInput } from '../../shared/config/schema';
import { Sim } from './sim';

/**
 * The run's trace (coordinator/run/trace.ts): what tests and the bench
 * subscribe to instead of wrapping the run's methods. Timings are exclusive
 * of the phases nested in them, on the run's clock (a fake one here).
 */
describe('run trace', () => {
  it('times each phase exclusive of the timed phases inside it', () => {
    let now = 0;
    const trace = new RunTrace(() => now);
    const timings: [string, number, number][] = [];
    trace.subscribe((e) => {
      if (e.type === 'timing') timings.push([e.phase, e.step, e.ms]);
    });
    // A result (0..10 ms) whose handling averages (2..5) and applies the update (5..9), which sends a task (6..8).
    trace.time('result', 4, () => {
      now = 2;
      trace.time('average', 4, () => (now = 5));
      trace.time('optimizer', 4, () => {
        now = 6;
        trace.time('send', 5, () => (now = 8));
        now = 9;
      });
      now = 10;
    });
    expect(timings).toEqual([
      ['average', 4, 3],
      ['send', 5, 2],
      ['optimizer', 4, 2], // 4 ms less the 2 ms send inside it
      ['result', 4, 3], // 10 ms less 3 (average) and 4 (optimizer, send included)
    ]);
  });

  it('measures nothing without a listener, and stops after unsubscribe', () => {
    let reads = 0;
    const trace = new RunTrace(() => ++reads);
    expect(trace.time('send', 0, () => 7)).toBe(7);
    expect(reads).toBe(0);
    const seen: RunTraceEvent[] = [];
    const off = trace.subscribe((e) => seen.push(e));
    trace.time('send', 0, () => 7);
    off();
    trace.time('send', 0, () => 7);
    expect(seen).toHaveLength(1);
    expect(trace.active).toBe(false);
  });

  it('a run emits its stages, tasks, verdicts and steps; the bench probe gets every step from it', async () => {
    const STEPS = 4;
    const job: ConfigInput = { dataset: 'mnist', model: 'logreg', optimizer: 'sgd', batchSize: 30, steps: STEPS, seed: 5, minPeers: 2 };
    const sim = await Sim.create(job);
    const events: RunTraceEvent[] = [];
    sim.run.trace.subscribe((e) => events.push(e));
    const probe = new CoordinatorProbe(sim.run);
    sim.join('a');
    sim.join('b');
    await sim.drive();
    expect(sim.finished).toBe('completed');

    const stages = events.flatMap((e) => (e.type === 'stage' ? [`${e.from}>${e.to}`] : []));
    expect(stages).toEqual(['waiting>training', 'training>evaluating', 'evaluating>done']);
    expect(events.filter((e) => e.type === 'peer-ready').map((e) => (e.type === 'peer-ready' ? e.nickname : ''))).toEqual(['a', 'b']);
    const applied = events.flatMap((e) => (e.type === 'step-applied' ? [e.step] : []));
    expect(applied).toEqual([1, 2, 3, 4]);
    // Every task sent was answered once and accepted (no fault here).
    const sent = events.flatMap((e) => (e.type === 'task-sent' ? [e.taskId] : []));
    const judged = events.flatMap((e) => (e.type === 'result' ? [[e.taskId, e.verdict]] : []));
    expect(sent.length).toBe(sim.peers.reduce((n, p) => n + p.tasks, 0));
    expect(judged).toEqual(sent.map((t) => [t, 'accepted']));
    // One average and one optimizer timing per step, each for the step it updates from.
    for (const phase of ['average', 'optimizer'] as const) {
      expect(events.flatMap((e) => (e.type === 'timing' && e.phase === phase ? [e.step] : []))).toEqual([0, 1, 2, 3]);
    }
    expect([...probe.steps.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const c of probe.steps.values()) for (const ms of Object.values(c)) expect(ms).toBeGreaterThanOrEqual(0);
    probe.close();
  });
});
