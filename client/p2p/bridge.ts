import type { CompressSpec } from '../../shared/compress/spec';
import type { Cover, TreeBody } from '../../shared/protocol';

/**
 * Between a tab's protocol session (in a Web Worker, or in the page) and its
 * peer-to-peer side, which lives in the page (RTCPeerConnection exists only
 * there): the session asks, the page's TabTree (tabTree.ts) answers. Plain
 * data, so both cross postMessage.
 */
export type P2pCall =
  /**
   * Open this tab's PeerJS node; `params` is the gradient length sums will have; `codec`: the run's --compress
   * and the weight tensors' lengths, for the sums this tab sends up a data channel (shared/p2p/hopCodec.ts).
   */
  | { kind: 'open'; peerId: string; params: number; codec?: { spec: CompressSpec; segments: number[] } }
  /** This tab's place in a step's tree, as the coordinator's TREE said. */
  | { kind: 'role'; role: TreeBody }
  /** This tab's own gradient sum for a task that has a role. */
  | { kind: 'own'; taskId: number; step: number; count: number; lossSum: number; computeMs: number; grad: Float32Array; peerId: string }
  /** The weights of a task whose role forwards them: pass these bytes (shared/p2p/weightsDown.ts) to the role's `forward` children. */
  | { kind: 'weights'; step: number; message: Uint8Array };

export type P2pReply =
  | { kind: 'opened'; id: string | null; note: string }
  /** A sum for the coordinator: a root's subtree sum, or a tab whose parent could not be reached or left. */
  | { kind: 'up'; taskId: number; step: number; count: number; lossSum: number; grad: Float32Array; covers: Cover[]; broken: string[] }
  /** Weights that came down from the parent tab (already passed on to this tab's children), to check and install. */
  | { kind: 'weights'; message: Uint8Array }
  /** This tab sent a task's sum up a data channel in a lossy codec: the rounding it added (||sent - sum||₂), for its digest. */
  | { kind: 'hop'; taskId: number; codecErr: number };
