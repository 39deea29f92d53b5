import type { DatasetMeta } from '../../shared/data/dataset';
import type { HelloBody } from '../../shared/protocol';
import type { P2pCall, P2pReply } from '../p2p/bridge';
import type { BackendChoice } from './backend';
import type { PeerStats } from './session';

/**
 * The messages between a volunteer page and the peer that computes for it.
 * The peer runs in a Web Worker (so a hidden tab keeps its speed) or, where
 * the browser cannot do WebGL in a worker, in the page itself; both speak
 * these messages, so the page does not care which.
 */

/** What the page needs to know of the model: enough to draw and read the pad. */
export type ModelFacts = Pick<DatasetMeta, 'task' | 'numClasses' | 'inputShape' | 'classNames'>;

export interface StartRequest {
  type: 'start';
  /** The coordinator's WebSocket URL. */
  url: string;
  /** The page's URL: dataset and wasm paths resolve against it. */
  pageUrl: string;
  hello: Omit<HelloBody, 'reconnectToken' | 'backend' | 'backendNote' | 'renderer'>;
  /** `?backend=` from the link, or null for the best this context has. */
  backend: string | null;
  /** Said to the coordinator beside the backend: where the computing happens. */
  where: string;
  /** Pad batches to bucket sizes (WebGL compiles shaders per shape). */
  shapeBuckets?: boolean;
}

/** A test hook: hold the next gradient back, as a slow laptop would. */
export type HoldAction = 'arm' | 'release';

/** The prefix box of a text model: continue `prefix` with the tab's own copy of the class model. */
export interface SampleRequest {
  prefix: string;
  temperature: number;
  /** One continuation per seed (the same seed and weights give the same text). */
  seeds: number[];
  maxChars: number;
}

export type ToPeer = StartRequest | { type: 'predict'; id: number; pixels: Float32Array } | ({ type: 'sample'; id: number } & SampleRequest) | { type: 'hold'; action: HoldAction } | { type: 'p2p-reply'; reply: P2pReply };

export interface Continuation {
  /** One text per seed (prefix included), or null when there is no character model yet. */
  texts: string[] | null;
  weightsVersion: number;
  /** Milliseconds the tab took to generate them. */
  ms: number;
}

export interface Prediction {
  /** One probability per class, or null when there is no model yet. */
  probs: number[] | null;
  weightsVersion: number;
}

export type FromPeer =
  | { type: 'backend'; choice: BackendChoice }
  | { type: 'stats'; stats: PeerStats; model: ModelFacts | null }
  /** After each finished task: the live tensor count (the leak check reads it). */
  | { type: 'task-done'; steps: number; tensors: number }
  | ({ type: 'predicted'; id: number } & Prediction)
  | ({ type: 'sampled'; id: number } & Continuation)
  | { type: 'held'; held: boolean }
  | { type: 'failed'; message: string }
  /** --p2p: the session asks the page's peer-to-peer side (client/p2p/bridge.ts). */
  | { type: 'p2p'; call: P2pCall };
