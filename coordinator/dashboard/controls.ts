import { DEFAULT_LR, type Config } from '../../shared/config/schema';
import { OUTER_OPTIMIZER_NAMES } from '../../shared/config/names';
import { fail, type TabtrainError } from '../../shared/errors';
import { createOptimizer } from '../../shared/optim';
import { OPTIMIZER_NAMES } from '../../shared/optim/types';
import { batchSizeRangeFor, parseControlRequest, type ControlEntry } from '../../shared/protocol/dashboardControl';
import type { TrainingCoordinator } from '../run/coordinator';
import { optimizerConfig, withOptimizer } from '../run/update';

/**
 * What the dashboard's controls may do to a live run, checked and logged:
 * start (below --min-peers), pause, resume, stop, and a new learning rate,
 * optimizer or global batch size from the next step on (in --mode local the
 * learning rate and optimizer are the outer ones, applied here). Every accepted
 * action is appended to `run.controls`, which the report and the loss chart
 * show at the step it took effect.
 */
export { CONTROL_ACTIONS, type ControlAction, type ControlEntry } from '../../shared/protocol/dashboardControl';

const invalid = (m: string): TabtrainError => fail('CONTROL_INVALID', m);
const refused = (m: string): TabtrainError => fail('CONTROL_REFUSED', m);

/** Applies one control request (already authorised) and returns its log entry. */
export function applyControl(run: TrainingCoordinator, body: unknown): ControlEntry {
  const parsed = parseControlRequest(body);
  if (!parsed.ok) throw invalid(parsed.message);
  const req = parsed.request;
  if (run.state === 'done') throw refused(`training is over (${run.exitReason ?? 'done'}): start a new run`);
  const entry: ControlEntry = { action: req.action, step: run.step, t: (run.now() - run.startedAt) / 1000 };
  switch (req.action) {
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
      const lr = req.value;
      entry.from = run.lr;
      entry.to = lr;
      run.lr = lr;
      break;
    }
    case 'optimizer': {
      const name = req.value;
      const local = run.setup.config.mode === 'local';
      // Local mode: the coordinator's optimizer is the outer one; the inner one (--optimizer) runs in the peers.
      if (local && !(OUTER_OPTIMIZER_NAMES as readonly string[]).includes(name)) {
        throw refused(`--mode local: this control sets the outer optimizer (${OUTER_OPTIMIZER_NAMES.join(', ')}); the inner one (--optimizer) is fixed when the run starts`);
      }
      const c = withOptimizer(run.setup.config, name);
      entry.from = run.optimizer.name;
      entry.to = name;
      // Fresh moments: the new optimizer's state starts at zero, as it would in a new run.
      run.optimizer = createOptimizer(optimizerConfig(c), run.setup.model.trainableParams);
      break;
    }
    case 'batchSize': {
      const n = req.value;
      const range = batchSizeRangeFor(run.sampler.trainSize);
      if (n > range.max) throw invalid(`batchSize must be a whole number in ${range.text} (the training split has ${run.sampler.trainSize} samples), got ${n}`);
      entry.from = run.sampler.batchSize;
      entry.to = n;
      run.setBatchSize(n);
      break;
    }
  }
  run.controls.push(entry);
  return entry;
}

/** The learning rate people expect for an optimizer, for the dashboard's form. */
export function defaultLr(optimizer: Config['optimizer']): number {
  return DEFAULT_LR[optimizer];
}
