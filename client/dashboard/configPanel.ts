import type { DashboardBase } from '../../shared/protocol/dashboard';
import { bytes, esc, num } from './format';

/** The run's configuration and the figures that follow from it. */
export function renderConfig(dl: HTMLElement, b: DashboardBase): void {
  const c = b.config;
  const m = b.dataset;
  const rows: [string, string][] = [
    ['Dataset', `${m.name}: ${num(m.splits.train)} train / ${num(m.splits.val)} val / ${num(m.splits.test)} test, input [${m.inputShape.join('×')}]`],
    ['Model', `${c.model}: ${num(b.model.params)} parameters${b.model.state ? ` + ${num(b.model.state)} state` : ''}`],
    ['Optimizer', `${b.optimizer}, lr ${b.lr} (${c.schedule})${b.optimizer !== c.optimizer || b.lr !== (c.lr ?? b.lr) ? ' (changed from the dashboard)' : ''}`],
    ['Global batch', `${num(b.batchSize)} samples, ${num(b.stepsPerEpoch)} steps/epoch, ${num(b.totalSteps)} steps in all`],
    ['Shards per step', `${b.derived.shardsLastStep} (one per ready peer)`],
    ['Bytes per step', `${bytes(b.derived.bytesPerStep)} (${bytes(b.derived.bytesDownPerPeer)} weights down + ${bytes(b.derived.bytesUpPerPeer)} gradient up per peer)`],
    ['Mode', `${c.mode}, gradients ${c.compress}, seed ${c.seed}`],
    ['Peers', `${b.readyPeers} ready, ${b.connections} connected, training starts at ${b.minPeers}`],
    ['Shards reassigned', `${num(b.counters.reassigned)}, duplicates dropped ${num(b.counters.duplicatesDropped)}, late dropped ${num(b.counters.lateDropped)}`],
  ];
  const html = rows.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v)}</dd>`).join('');
  if (dl.dataset.html === html) return;
  dl.dataset.html = html;
  dl.innerHTML = html;
}
