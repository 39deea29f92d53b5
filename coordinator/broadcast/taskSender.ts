import { NO_TENSOR, TaskFlag, TaskKind, encodeTask, encodeTaskParts, type TaskFrame } from '../../shared/protocol';
import type { SendEffect } from '../round/ledger';
import type { Io } from '../run/io';
import type { StepTimeline } from '../dashboard/timeline';
import type { Config } from '../../shared/config/schema';
import type { PeerRecord } from '../run/types';
import type { WeightsBroadcast } from './weightsBroadcast';

/**
 * The engine's (and the async trainer's) send effects as TASK frames: the
 * sample indices, a per-task seed, and the weights when the peer's copy is
 * not the current one (weightsBroadcast.ts decides what, and in which
 * codec). Evaluation tasks always compute on the exact float32 weights.
 */
export type { SendEffect } from '../round/ledger';

/** --p2p (coordinator/p2p/plane.ts): which training tasks get their weights down a tree, and the weights bytes that do leave. */
export interface WeightsRoute {
  /** True: the peer's parent tab passes this task's weights on; the TASK carries none. */
  viaTree(peerId: string, taskId: number): boolean;
  /** Weights payload bytes that went out with a TASK. */
  sent(bytes: number, train: boolean): void;
}

export class TaskSender {
  /** --p2p: set by the run once its plane exists. */
  route: WeightsRoute | null = null;

  constructor(
    private readonly io: Io,
    private readonly config: Pick<Config, 'seed' | 'augment'>,
    private readonly broadcast: WeightsBroadcast,
    private readonly timeline: StepTimeline,
  ) {}

  send(p: PeerRecord, e: SendEffect): void {
    const train = e.kind === 'train';
    const viaTree = train && (this.route?.viaTree(p.id, e.taskId) ?? false);
    const sent = this.broadcast.forPeer(p, !train, viaTree);
    const w = viaTree ? null : sent;
    if (w) this.route?.sent(w.payload.bytes.byteLength, train);
    const task: TaskFrame = {
      kind: e.local ? TaskKind.LOCAL : train ? TaskKind.TRAIN : TaskKind.EVAL,
      taskId: e.taskId,
      step: e.roundId,
      weightsVersion: e.version,
      flags: (train ? TaskFlag.TRAINING : 0) | (train && this.config.augment ? TaskFlag.AUGMENT : 0) | (w?.delta ? TaskFlag.WEIGHTS_DELTA : 0),
      seed: (this.config.seed * 2654435761 + e.taskId) >>> 0,
      indices: e.local ?? e.indices,
      weights: w ? w.payload : NO_TENSOR,
      baseVersion: w?.delta ? w.baseVersion : 0,
    };
    this.timeline.sent({ kind: e.kind, roundId: e.roundId, taskId: e.taskId, peerId: e.peerId, size: e.indices.length, backup: e.backup }, this.io.now());
    if (this.io.sendParts && w) {
      // The payload goes to the socket as is: its buffer is not reused until the peer answers (payloadPool.ts).
      this.broadcast.lent(w, p.id, e.taskId);
      this.io.sendParts(p.id, encodeTaskParts(task));
    } else {
      this.io.send(p.id, encodeTask(task));
    }
  }
}
