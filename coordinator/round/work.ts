/**
 * The vocabulary of the work ledger (ledger.ts): units of work, their
 * shards, the attempts at a shard, and what the ledger counts.
 */
export type UnitKind = 'train' | 'eval';
export type Verdict = 'accepted' | 'duplicate' | 'stale' | 'unknown';

export interface LedgerOptions {
  /** A shard is late after `slack` times its expected compute time ... */
  deadlineSlack: number;
  /** ... plus this floor (transfer, scheduling jitter), in ms. */
  deadlineFloorMs: number;
  /** At most this many copies of one shard in flight at once. */
  maxAttempts: number;
  /** Deadlines missed in a row after which a peer gets no new shard until it answers. */
  benchAfterMisses: number;
}

export const DEFAULT_LEDGER_OPTIONS: LedgerOptions = { deadlineSlack: 3, deadlineFloorMs: 3000, maxAttempts: 2, benchAfterMisses: 3 };

export interface LedgerCounters {
  /** Results for a shard that another copy had already covered. */
  duplicatesDropped: number;
  /** Results for a unit already closed. */
  lateDropped: number;
  /** Shards given to another peer because theirs left, failed or was late. */
  reassigned: number;
}

export interface WorkUnit {
  kind: UnitKind;
  /** Step number (train), evaluation id (eval): the TASK's step field. */
  id: number;
  /** The weights version the tasks compute on. */
  version: number;
  items: Uint32Array;
  /** Training units: the epoch their samples belong to (accounting); -1 for evaluation. */
  epoch: number;
  /** A closed unit accepts nothing more: its late results are stale. */
  closed: boolean;
}

export interface Attempt {
  taskId: number;
  peerId: string;
  /** The TASK's step and weights version (a result must name the same). */
  round: number;
  version: number;
  sentAt: number;
  deadline: number;
  live: boolean;
  /** Its deadline passed (counted once against the peer). */
  missed: boolean;
}

export interface Shard {
  unit: WorkUnit;
  start: number;
  end: number;
  done: boolean;
  /** Set once the shard has been taken from a peer, so a later hand-out counts as a reassignment. */
  orphaned: boolean;
  attempts: Attempt[];
  /** The peer whose result covered the shard. */
  winner?: string;
  /** Spot check (coordinator/aggregate/spotRounds.ts): the shard is covered only once `need` distinct peers have answered it. */
  check?: ShardCheck;
}

export interface ShardCheck {
  /** 2, or 3 once the first two disagreed (a referee). */
  need: number;
  /** Peers whose result for this shard is in, in order. */
  answered: string[];
}

/** A TASK to send: what the server turns into a frame. */
export interface SendEffect {
  type: 'send';
  peerId: string;
  taskId: number;
  kind: UnitKind;
  roundId: number;
  version: number;
  indices: Uint32Array;
  backup: boolean;
  /** --mode local: the TASK's index block is this local-steps plan (shared/protocol/localPlan.ts) instead of `indices`. */
  local?: Uint32Array;
}

