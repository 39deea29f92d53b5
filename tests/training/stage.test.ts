import { describe, expect, it } from 'vitest';
import { INITIAL_RUN_STATE, Stage, step, type RunEffect, type RunEvent, type RunState } from '../../coordinator/run/stage';

/** Feeds events in order; returns the last state and every effect, as their types. */
function run(events: RunEvent[], from: RunState = INITIAL_RUN_STATE): { state: RunState; effects: RunEffect['type'][] } {
  let state = from;
  const effects: RunEffect['type'][] = [];
  events.forEach((e, i) => {
    const out = step(state, e, 1000 + i);
    state = out.state;
    effects.push(...out.effects.map((f) => f.type));
  });
  return { state, effects };
}

describe('the run stage machine (pure)', () => {
  it('waits for --min-peers, then begins and trains', () => {
    expect(run([{ type: 'peer-ready', ready: 1, minPeers: 2 }]).state.stage).toBe(Stage.WAITING);
    const r = run([{ type: 'peer-ready', ready: 1, minPeers: 2 }, { type: 'peer-ready', ready: 2, minPeers: 2 }]);
    expect(r.state).toMatchObject({ stage: Stage.TRAINING, started: true, trainStartedAt: 1001 });
    expect(r.effects).toEqual(['begin', 'continue']);
  });

  it('the dashboard starts below --min-peers, but not with no peer ready', () => {
    expect(run([{ type: 'start', ready: 0 }]).state.started).toBe(false);
    expect(run([{ type: 'start', ready: 1 }]).state.stage).toBe(Stage.TRAINING);
  });

  it('a pause before the start holds the run once it begins; resume continues the loop', () => {
    const paused = run([{ type: 'pause' }, { type: 'peer-ready', ready: 1, minPeers: 1 }]);
    expect(paused.state.stage).toBe(Stage.PAUSED);
    expect(paused.effects).toEqual(['begin']); // no step starts
    const resumed = run([{ type: 'resume', idle: true }], paused.state);
    expect(resumed.state.stage).toBe(Stage.TRAINING);
    expect(resumed.effects).toEqual(['continue']);
  });

  it('at a boundary: a save point, then the next step, the interrupted pass, or the final passes', () => {
    const training = run([{ type: 'start', ready: 1 }]).state;
    expect(run([{ type: 'boundary' }], training).effects).toEqual(['save-point', 'next']);
    expect(run([{ type: 'next', stepsLeft: true }], training).effects).toEqual(['train']);
    expect(run([{ type: 'next', stepsLeft: false }], training).effects).toEqual(['final-passes']);
    const restored = run([{ type: 'restored', pass: { then: 'epoch', epoch: 2 }, trainMsBefore: 500 }, { type: 'start', ready: 1 }, { type: 'next', stepsLeft: true }]);
    expect(restored.effects).toEqual(['begin', 'continue', 'resume-pass']);
    expect(restored.state.resumePass).toBeNull();
    expect(restored.state.trainStartedAt).toBe(1001 - 500); // training time before the checkpoint carries on
  });

  it('a pause mid-step takes effect at the boundary; evaluation and the end are stages too', () => {
    const training = run([{ type: 'start', ready: 1 }]).state;
    const r = run([{ type: 'pause' }, { type: 'boundary' }], training);
    expect(r.state.stage).toBe(Stage.PAUSED);
    expect(r.effects).toEqual([]); // no save point, no step while paused
    expect(run([{ type: 'evaluate' }], training).state.stage).toBe(Stage.EVALUATING);
    const done = run([{ type: 'finish', reason: 'diverged' }, { type: 'resume', idle: true }, { type: 'boundary' }], training);
    expect(done.state).toMatchObject({ stage: Stage.DONE, exitReason: 'diverged' });
    expect(done.effects).toEqual(['finish']); // nothing after done
  });
});
