import { DEFAULT_LR, type Config } from '../../shared/config/schema';
import { createOptimizer } from '../../shared/optim';
import { OPTIMIZER_NAMES } from '../../shared/optim/types';
import type { TrainingCoordinator } from '../run/coordinator';
import { optimizerConfig } from '../run/update';
import type { ControlAction, ControlEntry } from '../run/types';

/**
 * What the dashboard's controls may do to a live run, checked and logged:
 * start (below --min-peers), pause, resume, stop, and a new learning rate,
 * optimizer or global batch size from the next step on. Every accepted
 * action is appended to `run.controls`, which the report and the loss chart
 * show at the step it took effect.
 */
export type { ControlAction, ControlEntry } from '../run/types';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['start', 'pause', 'resume', 'stop', 'lr', 'optimizer', 'batchSize'];

/** Stable codes: BAD_TOKEN (403), CONTROL_INVALID (400), CONTROL_REFUSED (409). */
export type ControlErrorCode = 'BAD_TOKEN' | 'CONTROL_INVALID' | 'CONTROL_REFUSED';

export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }
  get httpStatus(): number {
    return this.code === 'BAD_TOKEN' ? 403 : this.code === 'CONTROL_INVALID' ? 400 : 409;
  }
}

const invalid = (m: string): ControlError => new ControlError('CONTROL_INVALID', m);
const refused = (m: string): ControlError => new ControlError('CONTROL_REFUSED', m);

/** Applies one control request (already authorised) and returns its log entry. */
export function applyControl(run: TrainingCoordinator, body: unknown): ControlEntry {
  if (typeof body !== 'object' || body === null) throw invalid('send a JSON object: {"action": "pause"} or {"action": "lr", "value": 0.01}');
  const { action, value } = body as { action?: unknown; value?: unknown };
  if (typeof action !== 'string' || !(CONTROL_ACTIONS as readonly string[]).includes(action)) {
    throw invalid(`action must be one of ${CONTROL_ACTIONS.join(', ')}; got ${JSON.stringify(action)}`);
  }
  if (run.state === 'done') throw refused(`training is over (${run.exitReason ?? 'done'}): start a new run`);
  const entry: ControlEntry = { action: action as ControlAction, step: run.step, t: (run.now() - run.startedAt) / 1000 };
  switch (action as ControlAction) {
    case 'start':
      if (!run.startNow()) throw refused(run.trainStartedAt !== null ? 'training has already started' : 'no peer is ready yet: wait until one has warmed up');
      break;
    case 'pause':
      if (run.state === 'paused') throw refused('already paused');
      run.pause();
      break;
    case 'resume':
      if (run.state !== 'paused' && run.trainStartedAt !== null) throw refused('not paused');
      run.resume();
      break;
    case 'stop':
      run.stop('stopped');
      break;
    case 'lr': {
      const lr = number(value, 'lr');
      if (!(lr > 0 && lr <= 100)) throw invalid(`lr must be in (0, 100], got ${lr}`);
      entry.from = run.lr;
      entry.to = lr;
      run.lr = lr;
      break;
    }
    case 'optimizer': {
      const name = value;
      if (typeof name !== 'string' || !(OPTIMIZER_NAMES as readonly string[]).includes(name)) {
        throw invalid(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}; got ${JSON.stringify(name)}`);
      }
      const c: Config = { ...run.setup.config, optimizer: name as Config['optimizer'] };
      entry.from = run.optimizer.name;
      entry.to = name;
      // Fresh moments: the new optimizer's state starts at zero, as it would in a new run.
      run.optimizer = createOptimizer(optimizerConfig(c), run.setup.model.trainableParams);
      break;
    }
    case 'batchSize': {
      const n = number(value, 'batchSize');
      if (!Number.isInteger(n) || n < 1 || n > run.sampler.trainSize) throw invalid(`batchSize must be an integer in [1, ${run.sampler.trainSize}], got ${n}`);
      entry.from = run.sampler.batchSize;
      entry.to = n;
      run.setBatchSize(n);
      break;
    }
  }
  run.controls.push(entry);
  return entry;
}

function number(v: unknown, what: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(`${what} needs a numeric value, got ${JSON.stringify(v)}`);
  return n;
}

/** The learning rate people expect for an optimizer, for the dashboard's form. */
export function defaultLr(optimizer: Config['optimizer']): number {
  return DEFAULT_LR[optimizer];
}
