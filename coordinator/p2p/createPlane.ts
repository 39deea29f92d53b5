import { randomInt } from 'node:crypto';
import type { Config } from '../../shared/config/schema';
import { encodeWeights, type GradFrame } from '../../shared/protocol';
import type { Io } from '../run/io';
import { checkGradient } from '../run/gradCheck';
import type { ParamStore } from '../run/paramStore';
import type { RelayedHost } from './relayedGrad';
import { P2pPlane } from './plane';
import type { SentWeights } from './weightsDown';

/** A peer as the weights broadcast knows it: the serial of the weights it was last sent. */
interface Holder {
  id: string;
  sentWeights: number;
}

/** What the plane needs of the run (structural, so this file does not import the run and madge stays clean). */
export interface PlaneRun extends Omit<RelayedHost, 'check' | 'answered' | 'now'> {
  readonly store: ParamStore;
  readonly broadcast: {
    answered(peerId: string, taskId: number): void;
    preview(peer: Holder, exact: boolean): SentWeights | null;
    forPeer(peer: Holder, exact: boolean): SentWeights | null;
  };
  readonly peers: ReadonlyMap<string, Holder>;
  quarantinePeer(peerId: string, code: string, reason: string): void;
}

/** The run's `--p2p` plane; with p2p off (or in async mode) it only counts gradient bytes. */
export function createPlane(run: PlaneRun, io: Io, c: Config): P2pPlane {
  let scratch: Float32Array | null = null;
  // Sync steps carry gradient sums, local-steps rounds weight changes x counts: both add up the same way. Async applies each
  // gradient on arrival (nothing to add up), and batch-norm statistics do not travel in tree sums: those stay on the star.
  const enabled = c.p2p && (c.mode === 'sync' || c.mode === 'local') && run.store.stateSize === 0;
  if (c.p2p && !enabled) io.log(`--p2p is off for this run: trees carry sync steps and local-steps rounds of models without batch-norm state (mode ${c.mode}${run.store.stateSize > 0 ? ', batch-norm state' : ''}); every tab stays on the star`);
  else if (c.p2p) io.log(`--p2p: tabs with WebRTC add up their ${c.mode === 'local' ? 'weight changes' : 'gradient sums'} in trees of fan-in ${c.p2pFanIn}; node peers and tabs without WebRTC stay on the star`);
  return new P2pPlane(
    {
      ledger: run.ledger,
      engine: run.engine,
      timeline: run.timeline,
      now: () => io.now(),
      log: (l) => io.log(l),
      send: (p, f) => io.send(p, f),
      perform: (e) => run.perform(e),
      check: (g: GradFrame) => checkGradient(g, g.count, run.store, () => (scratch ??= new Float32Array(run.store.trainableSize))),
      accumulate: (p, g, grad) => run.accumulate(p, g, grad),
      credit: (p, g) => run.credit(p, g),
      answered: (p, t) => run.broadcast.answered(p, t),
      seed: () => randomInt(0, 2 ** 32),
      quarantine: (p, code, reason) => run.quarantinePeer(p, code, reason),
      weights: {
        preview: (id) => {
          const p = run.peers.get(id);
          return p ? run.broadcast.preview(p, false) : null;
        },
        // A tab that asks is sent the current content whole (fp32 or fp16; with delta, the mirror every delta holder has).
        resend: (id) => {
          const p = run.peers.get(id);
          if (!p) return 0;
          p.sentWeights = -1;
          const w = run.broadcast.forPeer(p, false);
          if (!w) return 0;
          io.send(id, encodeWeights({ weightsVersion: run.store.version, weights: w.payload }));
          return w.payload.bytes.byteLength;
        },
      },
    },
    { enabled, fanIn: c.p2pFanIn, waitMs: c.p2pWaitMs },
  );
}
