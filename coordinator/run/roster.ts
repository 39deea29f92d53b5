import type { GradFrame, HelloBody } from '../../shared/protocol';
import { checkClaim, observe, samplesPerSec } from '../round/speed';
import { newPeerRecord } from './peerRecord';
import type { PeerRecord } from './types';

/**
 * Every peer the run knows, by id. A peer that left for good keeps its
 * record for a while (it may come back with its reconnect token as itself);
 * past `keepDeparted` such records the oldest are folded into one summary,
 * so thousands of connect/leave cycles leave a bounded roster while the
 * report keeps their totals.
 */
export interface DepartedSummary {
  peers: number;
  samples: number;
  steps: number;
  evalSamples: number;
  computeMs: number;
  connections: number;
  quarantined: number;
}

export const KEEP_DEPARTED = 64;

export class Roster {
  readonly peers = new Map<string, PeerRecord>();
  readonly departed: DepartedSummary = { peers: 0, samples: 0, steps: 0, evalSamples: 0, computeMs: 0, connections: 0, quarantined: 0 };
  nextPeer = 1;

  constructor(private readonly keepDeparted = KEEP_DEPARTED) {}

  byToken(token: string): PeerRecord | undefined {
    if (!token) return undefined;
    for (const p of this.peers.values()) if (p.reconnectToken === token) return p;
    return undefined;
  }

  add(hello: HelloBody, now: number): PeerRecord {
    const id = `p${this.nextPeer++}`;
    const p = newPeerRecord(id, hello, now);
    this.peers.set(id, p);
    return p;
  }

  /** Peers ready for work (a quarantined one is not). */
  get readyCount(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.status === 'ready' && !p.quarantine) n++;
    return n;
  }

  /** An accepted gradient's contribution to its peer's counters and cost model; the first shard checks the speed claimed at warm-up. */
  credit(peerId: string, g: GradFrame, log: (line: string) => void): PeerRecord | null {
    const p = this.peers.get(peerId);
    if (!p) return null;
    if (p.steps === 0) {
      const c = checkClaim(p.cost, g.count, g.computeMs);
      if (c.refuted) log(`peer ${p.nickname} (${p.id}) claimed ${Math.round(p.speed)} samples/s at warm-up; its first shard measured ${Math.round(samplesPerSec(c.model))}: measured, not believed`);
      p.cost = c.model;
    } else {
      p.cost = observe(p.cost, g.count, g.computeMs);
    }
    p.samples += g.count;
    p.steps++;
    p.computeMs += g.computeMs;
    p.speed = samplesPerSec(p.cost);
    return p;
  }

  /** Folds the oldest departed records past the bound into the summary. */
  prune(): void {
    const gone = [...this.peers.values()].filter((p) => p.status === 'gone');
    for (let i = 0; i < gone.length - this.keepDeparted; i++) {
      const p = gone[i]!;
      const d = this.departed;
      d.peers++;
      d.samples += p.samples;
      d.steps += p.steps;
      d.evalSamples += p.evalSamples;
      d.computeMs += p.computeMs;
      d.connections += p.connections;
      if (p.quarantine) d.quarantined++;
      this.peers.delete(p.id);
    }
  }
}
