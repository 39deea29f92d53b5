import type { ExitReason } from './types';

/**
 * The run's stage, and the only code that changes it: a pure
 * `step(state, event, now) -> { state, effects }`. Controls, evaluation,
 * checkpoints and membership send events; the coordinator
 * (run/coordinator.ts, `dispatch`) performs the effects in order.
 */
export const Stage = {
  /** Fewer ready peers than --min-peers and nobody pressed start: nothing is computed yet. */
  WAITING: 'waiting',
  /** Training steps are handed out and applied. */
  TRAINING: 'training',
  /** Paused from the dashboard: work already out finishes, no new step starts. */
  PAUSED: 'paused',
  /** An evaluation pass (after an epoch, or the final validation and test passes) is out. */
  EVALUATING: 'evaluating',
  /** Finished (completed, early-stopped, stopped, diverged, interrupted): nothing more happens. */
  DONE: 'done',
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/** An evaluation pass a checkpoint interrupted: a resumed run redoes it before the next step. */
export type ResumePass = { then: 'epoch'; epoch: number } | { then: 'final'; reason: ExitReason };

export interface RunState {
  stage: Stage;
  /** A pause was asked for: no step starts until resume (also before training starts). */
  pauseRequested: boolean;
  /** Training has begun (the clock runs, peers get work). */
  started: boolean;
  resumePass: ResumePass | null;
  exitReason: ExitReason | null;
  /** When training began (ms, the run's clock, less the training time before a resume), null before. */
  trainStartedAt: number | null;
  /** Training time before a resume, ms. */
  trainMsBefore: number;
}

export const INITIAL_RUN_STATE: RunState = { stage: Stage.WAITING, pauseRequested: false, started: false, resumePass: null, exitReason: null, trainStartedAt: null, trainMsBefore: 0 };

export type RunEvent =
  /** Membership: a peer finished warming up; `ready` peers are ready now. */
  | { type: 'peer-ready'; ready: number; minPeers: number }
  /** The dashboard's start (below --min-peers), with the ready peers. */
  | { type: 'start'; ready: number }
  | { type: 'pause' }
  /** `idle`: no step or pass is out, so the next one must be started. */
  | { type: 'resume'; idle: boolean }
  /** A step (or an epoch's validation pass) ended: a save point, then (unless paused) what comes next. */
  | { type: 'boundary' }
  /** After the save point: the saved pass, the final passes, or the next step (a pause asked for at the save point applies after it). */
  | { type: 'next'; stepsLeft: boolean }
  | { type: 'evaluate' }
  | { type: 'finish'; reason: ExitReason }
  /** A checkpoint was loaded before the start. */
  | { type: 'restored'; pass: ResumePass | null; trainMsBefore: number };

export type RunEffect =
  /** Training begins: ready peers join the ledger. */
  | { type: 'begin' }
  /** Re-enter the loop as a boundary (resume while idle). */
  | { type: 'continue' }
  /** A step boundary: a periodic checkpoint may be due. */
  | { type: 'save-point' }
  /** Then decide what comes next (the `next` event). */
  | { type: 'next' }
  | { type: 'resume-pass'; pass: ResumePass }
  | { type: 'final-passes' }
  /** Hand out training work (the mode's policy). */
  | { type: 'train' }
  /** Tell the peers, stop the timer, report. */
  | { type: 'finish'; reason: ExitReason };

export function step(s: RunState, e: RunEvent, now: number): { state: RunState; effects: RunEffect[] } {
  const same = { state: s, effects: [] as RunEffect[] };
  if (s.stage === Stage.DONE) return same;
  switch (e.type) {
    case 'peer-ready':
      return !s.started && e.ready >= e.minPeers ? begin(s, now) : same;
    case 'start':
      return !s.started && e.ready > 0 ? begin(s, now) : same;
    case 'pause':
      return { state: { ...s, pauseRequested: true, stage: s.stage === Stage.TRAINING ? Stage.PAUSED : s.stage }, effects: [] };
    case 'resume': {
      if (s.stage !== Stage.PAUSED) return { state: { ...s, pauseRequested: false }, effects: [] };
      return { state: { ...s, pauseRequested: false, stage: Stage.TRAINING }, effects: e.idle ? [{ type: 'continue' }] : [] };
    }
    case 'boundary':
      if (s.pauseRequested) return { state: { ...s, stage: Stage.PAUSED }, effects: [] };
      return { state: s, effects: [{ type: 'save-point' }, { type: 'next' }] };
    case 'next':
      if (s.resumePass) return { state: { ...s, resumePass: null }, effects: [{ type: 'resume-pass', pass: s.resumePass }] };
      if (!e.stepsLeft) return { state: s, effects: [{ type: 'final-passes' }] };
      return { state: { ...s, stage: Stage.TRAINING }, effects: [{ type: 'train' }] };
    case 'evaluate':
      return { state: { ...s, stage: Stage.EVALUATING }, effects: [] };
    case 'finish':
      return { state: { ...s, stage: Stage.DONE, exitReason: e.reason }, effects: [{ type: 'finish', reason: e.reason }] };
    case 'restored':
      return { state: { ...s, resumePass: e.pass, trainMsBefore: e.trainMsBefore }, effects: [] };
  }
}

function begin(s: RunState, now: number): { state: RunState; effects: RunEffect[] } {
  const state: RunState = { ...s, started: true, trainStartedAt: now - s.trainMsBefore, stage: s.pauseRequested ? Stage.PAUSED : Stage.TRAINING };
  return { state, effects: s.pauseRequested ? [{ type: 'begin' }] : [{ type: 'begin' }, { type: 'continue' }] };
}
