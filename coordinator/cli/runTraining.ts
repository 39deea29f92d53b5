import type { Config } from '../../shared/config/schema';
import { exportModel } from '../model/export';
import { findChromium, launchTabs, type TabFleet } from '../peers/chromium';
import { buildReport, writeReport } from '../report';
import { ensureClientBundle } from '../server/bundle';
import { startCoordinator } from '../server/server';
import { CheckpointStore } from '../checkpoint/checkpointStore';
import { describeRun, prepareRun } from '../setup';
import { startPeerProcesses, type PeerProcesses } from './peerProcesses';
import { attachModelView } from '../session/modelView';
import { attachCourseView } from '../model/view/courseView';
import { finalWords } from '../model/lossWords';
import { ClassSession, type RunFiles } from '../session/classSession';
import { attachSessionRoutes } from '../session/sessionRoutes';

/**
 * Training from the command line. `run`: one run (prepare, serve, start the
 * peers asked for, wait for the end or a signal, report, export, exit).
 * `serve`: a class session, the same for each run, and between runs the
 * dashboard stays up with the same join link until its setup form starts
 * the next run (or Ctrl-C); open tabs reconnect to it by themselves.
 */
export async function runTraining(config: Config, command: 'run' | 'serve', validate?: (input: Record<string, unknown>) => Config): Promise<number> {
  const log = (l: string): void => console.log(l);
  const session = command === 'serve' && validate ? new ClassSession(config, validate, log) : null;
  let next: Config | null = config;
  let tokens: { joinToken: string; adminToken: string } | undefined;
  let code = 0;
  const resumed = session && config.resume ? session.resumable() : null;
  let n = resumed?.n ?? session?.nextNumber ?? 1;
  if (resumed) next = resumed.config;
  const fleet: Fleet = { nodePeers: null, tabs: null };
  while (next) {
    const cfg: Config = next;
    // Every run of a session keeps its report, model and checkpoints in the session folder (run N: run-N/).
    const files = session?.place(cfg, n);
    const r = await trainOnce(cfg, command, log, session, n, fleet, tokens, false, files);
    code = r.code;
    tokens = r.tokens;
    next = r.next ? { ...r.next, port: r.port } : null;
    n++;
  }
  await fleet.nodePeers?.stop();
  return code;
}

/** How often a session rewrites the report of the run under way. */
const SNAPSHOT_MS = 5000;

/** Node peers started with the first run; a session's later runs keep them (they reconnect like tabs). */
export interface Fleet {
  nodePeers: PeerProcesses | null;
  /** `compare`: the headless tabs stay open from one run to the next. */
  tabs: TabFleet | null;
}

interface Once {
  code: number;
  interrupted: boolean;
  next: Config | null;
  port: number;
  tokens: { joinToken: string; adminToken: string };
}

/** One run. `keep`: another run follows on the same fleet (compare), so peers are told to reconnect, not to stop. */
export async function trainOnce(config: Config, command: 'run' | 'serve', log: (l: string) => void, session: ClassSession | null, n: number, fleet: Fleet, tokens?: Once['tokens'], keep = false, files?: RunFiles): Promise<Once & { report: Record<string, unknown> }> {
  const t0 = performance.now();
  const chromiumPath = command === 'run' && config.peers > 0 && !fleet.tabs ? findChromium(config.chromium) : null;
  const prepared = await prepareRun(config);
  const bundle = await ensureClientBundle();
  if (bundle.built) log(`built the browser bundle in ${(bundle.ms / 1000).toFixed(1)} s`);
  const checkpoint = config.checkpointDir ? { store: new CheckpointStore(config.checkpointDir, config.checkpointKeep, log), every: config.checkpointEvery, resume: config.resume } : undefined;
  const c = await startCoordinator(prepared.setup, { datasetBytes: prepared.datasetBytes, log, ...(checkpoint ? { checkpoint } : {}), ...(tokens ?? {}) });
  attachModelView(c.app, c.run, { admin: c.adminToken, join: c.joinToken });
  attachCourseView(c.app, c.run, { admin: c.adminToken, join: c.joinToken });
  if (session) {
    attachSessionRoutes(session, c.app, c.run, c.adminToken);
    session.started(n, c.run, files ?? { report: config.report ?? '', model: config.export ?? null });
    // A snapshot of the report while it trains: a restarted serve shows this run even after a crash or a kill.
    const snapshot = setInterval(() => {
      if (config.report && c.run.step > 0 && c.run.state !== 'done') writeReport(config.report, buildReport(c.run, (performance.now() - t0) / 1000));
    }, SNAPSHOT_MS);
    snapshot.unref();
    void c.done.then(() => clearInterval(snapshot));
    const asked = session.requestedAt;
    if (asked !== null) {
      // The figure a teacher feels: from "Start run" on the dashboard to the first step on the open tabs.
      const off = c.run.history.length;
      const secs = (t: number): string => ((t - asked) / 1000).toFixed(1);
      const up = performance.now();
      let joined: number | null = null;
      const timer = setInterval(() => {
        if (joined === null && c.run.peers.size > 0) joined = performance.now();
        if (c.run.history.length > off) {
          log(`session: run #${n} took its first step ${secs(performance.now())} s after it was requested (coordinator up at ${secs(up)} s, first peer connected at ${joined === null ? '-' : secs(joined)} s)`);
          clearInterval(timer);
        }
      }, 50);
      void c.done.then(() => clearInterval(timer));
    }
    if (n > 1) log(`session: run #${n} (${config.dataset}, ${config.model}, ${config.optimizer}) on the same join link`);
  }
  for (const line of describeRun(prepared.setup, c.run.sampler.stepsPerEpoch, c.run.totalSteps)) log(line);
  log(`join: ${c.joinUrl}`);
  log(`dashboard: ${c.dashboardUrl}`);
  let tabs: TabFleet | null = fleet.tabs;
  let interrupted = false;
  let next: Config | null = null;
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
    // A session's later runs keep the node peers of the first (they reconnect like tabs).
    if (config.nodePeers > 0 && !fleet.nodePeers) fleet.nodePeers = startPeerProcesses(c.localJoinUrl, config.nodePeers, log);
    if (config.nodePeers === 0 && !chromiumPath && tokens === undefined) {
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
    // A session exports every run that trained (its model is a download on the dashboard); --export always.
    if (config.export && (c.run.step > 0 || !session)) {
      await exportModel(config.export, prepared.setup.model, c.run.store.weights, prepared.setup.normalization, c.run.optimizer.state());
      log(`exported the model to ${config.export} (model.json + weights.bin)`);
    }
    session?.finished(n, report);
    const f = c.run.evaluator.final;
    if (c.run.evaluator.stopReason) log(`${c.run.evaluator.targetReached ? 'stopped at the target' : 'early stop'}: ${c.run.evaluator.stopReason}`);
    const timing = report.timing as { outsideComputeShare: number };
    log(
      `done (${reason}): ${c.run.step} steps in ${wall.toFixed(1)} s, ${c.run.samplesPerSec().toFixed(0)} samples/s, ` +
        `${finalWords(prepared.setup.dataset.meta.task, f.testLoss, f.testAccuracy)}, ` +
        `${(100 * timing.outsideComputeShare).toFixed(0)}% of step time outside tab compute`,
    );
    if (command === 'serve' && !config.exitWhenDone && !interrupted) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (session) {
        log('training is over; the dashboard stays up: start the next run from its setup form (same join link), or press Ctrl-C to quit.');
        next = await session.nextRun();
      } else {
        log('training is over; the dashboard stays up. Press Ctrl-C to quit.');
        await new Promise<void>((r) => process.once('SIGINT', () => r()));
      }
    }
    return { code: reason === 'diverged' ? 1 : 0, interrupted, next, port: c.port, tokens: { joinToken: c.joinToken, adminToken: c.adminToken }, report };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const follows = (next !== null || keep) && !interrupted;
    if (!follows) {
      await fleet.nodePeers?.stop();
      fleet.nodePeers = null;
      await tabs?.close();
      fleet.tabs = null;
    } else fleet.tabs = tabs;
    // Tabs (and node peers) are told to reconnect when a next run follows on the same link.
    await c.close({ restarting: follows || (interrupted && (c.run.checkpointer?.lastStep ?? -1) >= 0) });
  }
}
