import { DATASET_TASKS } from '../data/dataset';
import { z } from 'zod';
import { configSchema } from '../config/schema';
import { controlEntry } from './dashboardControl';
import { p2pView } from './p2p';

/**
 * The dashboard feed (WebSocket /dashboard/ws?admin=...): what the
 * coordinator pushes to open dashboards, parsed by the page with these same
 * schemas. Each push carries the base (rebuilt every time) plus what the
 * history and step breakdown gained since that client's last push; the page
 * appends the deltas. Built in coordinator/server/status.ts and
 * dashboardFeed.ts; read in client/dashboard/feed.ts. No tokens, except the
 * join link the dashboard shows.
 */

/** JSON has no NaN or Infinity (JSON.stringify writes them as null): a measured float may come back as null, read as NaN. */
const measured = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);
const count = z.number().int().nonnegative();

export const RUN_STATES = ['waiting', 'training', 'paused', 'evaluating', 'done'] as const;

export const peerView = z.object({
  id: z.string(),
  nickname: z.string(),
  kind: z.string(),
  backend: z.string(),
  /** How the backend was chosen: each backend's timing per shard at warm-up, or why one is missing. */
  backendNote: z.string().default(''),
  renderer: z.string(),
  status: z.string(),
  speed: measured,
  samples: count,
  steps: count,
  /** Share of all training samples so far. */
  share: measured,
  /** Seconds since the coordinator last heard from it. */
  seenAgo: measured,
  connections: count,
  /** Spot checks passed and failed, and its mean gradient norm over the median peer's (~1 honest); absent before its first check or gradient. */
  trust: z.object({ passed: count, failed: count, normRatio: measured }).optional(),
  /** Why it gets no more work ("CODE: reason"), when quarantined. */
  quarantine: z.string().optional(),
});
export type PeerView = z.output<typeof peerView>;

/** One shard: [peer id, 'train' | 'eval', round, sent ms ago, returned ms ago or -1, compute ms or -1, outcome, backup 0|1, samples]. */
export const barView = z.tuple([z.string(), z.enum(['train', 'eval']), z.number().int(), measured, measured, measured, z.string(), z.union([z.literal(0), z.literal(1)]), count]);
export type BarView = z.output<typeof barView>;

/** One training step as the loss and throughput charts draw it. */
export const historyEntry = z.object({
  step: count,
  epoch: count,
  loss: measured,
  lr: measured,
  peers: count,
  /** Wall time of the step, from its first task sent to its last result in. */
  ms: measured,
  /** The slowest accepted shard's compute time: the step's critical path inside the tabs. */
  computeMs: measured,
  /** Time in the coordinator: averaging, optimizer, encoding the next tasks. */
  updateMs: measured,
  samples: count,
  /** Wall-clock time since the run started, seconds. */
  t: measured,
  /** Async mode: versions between the weights the gradient was computed on and those it was applied to. */
  staleness: z.number().optional(),
});
export type HistoryEntryView = z.output<typeof historyEntry>;

/** Where one step's time went (the step-time chart). */
export const stepBreakdown = z.object({
  step: count,
  /** Mean shard compute time inside the tabs. */
  computeMs: measured,
  /** Mean (round start to result in) minus compute: serialisation, network, queueing. */
  transferMs: measured,
  /** Last result in minus the mean arrival: time the fleet idles for the slowest shard. */
  waitMs: measured,
  /** Averaging the gradients and applying the optimizer. */
  updateMs: measured,
  shards: count,
});
export type StepBreakdownView = z.output<typeof stepBreakdown>;

const nullableMeasure = z.number().nullable();

export const dashboardBase = z.object({
  runId: z.string(),
  state: z.enum(RUN_STATES),
  step: count,
  totalSteps: count,
  epoch: count,
  stepsPerEpoch: count,
  samplesPerSec: measured,
  connections: count,
  readyPeers: count,
  minPeers: count,
  lr: measured,
  optimizer: z.string(),
  batchSize: count,
  joinUrl: z.string(),
  config: configSchema,
  model: z.object({
    params: count,
    state: count,
    layers: z.array(z.object({ name: z.string(), className: z.string(), params: count, outputShape: z.string() })),
  }),
  dataset: z.object({
    name: z.string(),
    task: z.enum(DATASET_TASKS),
    inputShape: z.array(count),
    numClasses: count,
    classNames: z.array(z.string()).nullable(),
    url: z.string(),
    featureType: z.enum(['u8', 'f32']),
    splits: z.object({ train: count, val: count, test: count }),
  }),
  /** Bytes one peer moves per step (fp32 weights down, gradient up) and the whole fleet's. */
  derived: z.object({ bytesDownPerPeer: count, bytesUpPerPeer: count, shardsLastStep: count, bytesPerStep: count }),
  peers: z.array(peerView),
  timeline: z.object({ bars: z.array(barView) }),
  evals: z.array(z.object({ epoch: count, step: count, split: z.enum(['val', 'test']), valLoss: measured, valAccuracy: nullableMeasure })),
  confusion: z.object({ split: z.enum(['val', 'test']), epoch: count, matrix: z.array(z.array(count)) }).nullable(),
  misclassified: z.array(z.object({ index: count, predicted: count, truth: count })),
  final: z.object({ trainLoss: nullableMeasure, valLoss: nullableMeasure, valAccuracy: nullableMeasure, testLoss: nullableMeasure, testAccuracy: nullableMeasure }),
  exitReason: z.string().nullable(),
  controls: z.array(controlEntry),
  counters: z.object({ duplicatesDropped: count, lateDropped: count, reassigned: count }),
  /** --p2p: the reduction tree and gradient bytes into the coordinator per step (shared/protocol/p2p.ts). */
  p2p: p2pView.optional(),
});
export type DashboardBase = z.output<typeof dashboardBase>;

/** A push: the base, plus what the history and step breakdown gained since this client's last push. */
export const dashboardStatus = z.object({
  type: z.literal('status'),
  /** Wall clock (ms since the epoch) when the message was built, for latency measurements. */
  sentAt: z.number(),
  /** Wall clock of the run's t = 0 (history `t` is seconds since then). */
  runStartedAt: z.number(),
  base: dashboardBase,
  history: z.object({ from: count, items: z.array(historyEntry) }),
  breakdown: z.object({ from: count, items: z.array(stepBreakdown) }),
});
export type DashboardMessage = z.output<typeof dashboardStatus>;

/** Sent once before the feed closes with CloseStatus.BAD_TOKEN. */
export const dashboardRefusal = z.object({ type: z.literal('error'), code: z.string(), message: z.string() }).strict();
export type DashboardRefusal = z.output<typeof dashboardRefusal>;

export const dashboardFeedMessage = z.discriminatedUnion('type', [dashboardStatus, dashboardRefusal]);
export type DashboardFeedMessage = z.output<typeof dashboardFeedMessage>;

/**
 * Reads one feed message off the wire. Never throws: a message that is not
 * JSON or does not match says where, so the page can show it.
 */
export function parseDashboardMessage(text: string): { ok: true; message: DashboardFeedMessage } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'a dashboard message is not JSON' };
  }
  const r = dashboardFeedMessage.safeParse(value);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, problem: `a dashboard message is invalid${where}: ${issue?.message ?? 'unknown problem'}` };
}
