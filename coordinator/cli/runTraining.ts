import type { Config } from '../../shared/config/schema';
import { exportModel } from '../model/export';
import { findChromium, launchTabs, type TabFleet } from '../peers/chromium';
import { buildReport, writeReport } from '../report';
import { ensureClientBundle } from '../server/bundle';
import { startCoordinator } from '../server/server';
import { CheckpointStore } from '../training/checkpointStore';
import { describeRun, prepareRun } from '../setup';
import { startPeerProcesses, type PeerProcesses } from './peerProcesses';
import { attachModelView } from '../session/modelView';

/**
 * One training run from the command line: prepare, serve, start the peers
 * asked for, wait for the end (or a signal), then report and export.
 */
export async function runTraining(config: Config, command: 'run' | 'serve'): Promise<number> {
  const log = (l: string): void => console.log(l);
  const t0 = performance.now();
  const chromiumPath = command === 'run' && config.peers > 0 ? findChromium(config.chromium) : null;
  const prepared = await prepareRun(config);
  const bundle = await ensureClientBundle();
  if (bundle.built) log(`built the browser bundle in ${(bundle.ms / 1000).toFixed(1)} s`);
  const checkpoint = config.checkpointDir ? { store: new CheckpointStore(config.checkpointDir, config.checkpointKeep, log), every: config.checkpointEvery, resume: config.resume } : undefined;
  const c = await startCoordinator(prepared.setup, { datasetBytes: prepared.datasetBytes, log, ...(checkpoint ? { checkpoint } : {}) });
  attachModelView(c.app, c.run, { admin: c.adminToken, join: c.joinToken });
  for (const line of describeRun(prepared.setup, c.run.sampler.stepsPerEpoch, c.run.totalSteps)) log(line);
  log(`join: ${c.joinUrl}`);
  log(`dashboard: ${c.dashboardUrl}`);
  let nodePeers: PeerProcesses | null = null;
  let tabs: TabFleet | null = null;
  let interrupted = false;
  const onSignal = (sig: string): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${sig}: stopping (press again to quit at once)`);
    if (c.run.checkpointer && c.run.state !== 'done' && c.run.state !== 'waiting') c.run.checkpointer.save('signal');
    c.run.stop('interrupted');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (config.nodePeers > 0) nodePeers = startPeerProcesses(c.localJoinUrl, config.nodePeers, log);
    if (config.nodePeers === 0 && !chromiumPath) {
      const need = config.minPeers;
      log(`waiting for volunteers: open ${c.joinUrl} in a browser on this network (or scan the QR code on the dashboard); training starts when ${need} ${need === 1 ? 'tab is' : 'tabs are'} ready`);
    }
    if (chromiumPath) {
      const urls = Array.from({ length: config.peers }, (_, i) => `${c.localJoinUrl}&name=tab-${i + 1}`);
      tabs = await launchTabs(chromiumPath, urls, log);
      log(`opened ${config.peers} headless Chromium tab${config.peers === 1 ? '' : 's'} (${chromiumPath})`);
    }
    const reason = await c.done;
    const wall = (performance.now() - t0) / 1000;
    const report = buildReport(c.run, wall);
    if (config.report) {
      writeReport(config.report, report);
      log(`report: ${config.report}`);
    }
    const cp = c.run.checkpointer;
    if (cp) log(`checkpoints: ${cp.saved} written to ${cp.store.dir}${cp.resumedFrom ? `; this run resumed from step ${cp.resumedFrom.step}` : ''}`);
    if (config.export) {
      await exportModel(config.export, prepared.setup.model, c.run.store.weights, prepared.setup.normalization, c.run.optimizer.state());
      log(`exported the model to ${config.export} (model.json + weights.bin)`);
    }
    const f = c.run.evaluator.final;
    if (c.run.evaluator.stopReason) log(`early stop: ${c.run.evaluator.stopReason}`);
    const timing = report.timing as { outsideComputeShare: number };
    log(
      `done (${reason}): ${c.run.step} steps in ${wall.toFixed(1)} s, ${c.run.samplesPerSec().toFixed(0)} samples/s, ` +
        `test accuracy ${f.testAccuracy === null ? '-' : f.testAccuracy.toFixed(4)}, test loss ${f.testLoss === null ? '-' : f.testLoss.toFixed(4)}, ` +
        `${(100 * timing.outsideComputeShare).toFixed(0)}% of step time outside tab compute`,
    );
    if (command === 'serve' && !config.exitWhenDone && !interrupted) {
      log('training is over; the dashboard stays up. Press Ctrl-C to quit.');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
    return reason === 'diverged' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await nodePeers?.stop();
    await tabs?.close();
    await c.close({ restarting: interrupted && (c.run.checkpointer?.lastStep ?? -1) >= 0 });
  }
}
