import { randomBytes } from 'node:crypto';
import type { HelloBody } from '../../shared/protocol';
import { speedModel } from '../round/speed';
import type { PeerRecord } from './types';

/** A new peer's record, from its HELLO: no speed measured yet, no weights sent, a fresh reconnect token. */
export function newPeerRecord(id: string, hello: HelloBody, now: number): PeerRecord {
  return {
    id,
    nickname: hello.nickname || `${hello.kind}-${id}`,
    kind: hello.kind,
    backend: hello.backend,
    backendNote: hello.backendNote,
    renderer: hello.renderer,
    reconnectToken: randomBytes(12).toString('hex'),
    status: 'warming-up',
    speed: 0,
    cost: speedModel(0),
    samples: 0,
    steps: 0,
    evalSamples: 0,
    computeMs: 0,
    sentWeights: -1,
    joinedAt: now,
    lastSeen: now,
    connections: 1,
  };
}
