import { StepRelay } from '../../shared/p2p/relay';
import { decodeSum, encodeSum, type GradSum } from '../../shared/p2p/sum';
import { P2pNode, type P2pLink } from './link';

/**
 * A page-side handle on the p2p transport for e2e specs and the throughput
 * figure (e2e/p2p-link.spec.ts): open a node, connect, push bytes, time them.
 * Bundled on its own (IIFE) by the spec; never part of the volunteer page.
 */
interface RootResult {
  count: number;
  lossSum: number;
  /** The gradient sum, summed in float64 (a checksum the test compares with the star's). */
  total: number;
  head: number[];
  bytes: number;
  doneAt: number;
}

interface ProbeState {
  relay: StepRelay | null;
  params: number;
  parent: P2pLink | null;
  root: RootResult | null;
  startedAt: number;
  node: P2pNode | null;
  links: P2pLink[];
  received: number;
  messages: number;
}

const state: ProbeState = { relay: null, params: 0, parent: null, root: null, startedAt: 0, node: null, links: [], received: 0, messages: 0 };

function track(link: P2pLink): void {
  state.links.push(link);
  link.onMessage((m) => {
    state.received += m.byteLength;
    state.messages++;
    if (state.relay && m[0] === 0x53) return state.relay.fromChild(link.remoteId, decodeSum(m, state.params));
    if (m.byteLength > 1 && m[0] === 0xff) void link.send(Uint8Array.of(0xac)); // the last message asks for an ack
  });
}

const api = {
  async open(id: string, origin: string, joinToken: string, openTimeoutMs: number): Promise<boolean> {
    state.node = await P2pNode.open(id, { origin, joinToken, openTimeoutMs });
    state.node?.onLink(track);
    return state.node !== null;
  },
  async connect(remoteId: string, openTimeoutMs: number): Promise<boolean> {
    const link = (await state.node?.connect(remoteId, openTimeoutMs)) ?? null;
    if (link) track(link);
    return link !== null;
  },
  /** Sends `count` messages (cut into `chunkBytes` chunks) of `bytes` each on the first link; resolves with MB/s once the far side acks the last. */
  async throughput(count: number, bytes: number, chunkBytes: number): Promise<{ mbPerS: number; ms: number; bytes: number }> {
    const link = state.links[0];
    if (!link) throw new Error('no link');
    link.chunkBytes = chunkBytes;
    const acked = new Promise<void>((resolve) => {
      link.onMessage((m) => {
        if (m.byteLength === 1 && m[0] === 0xac) resolve();
      });
    });
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const m = new Uint8Array(bytes).fill(i & 0x7f);
      if (i === count - 1) m[0] = 0xff;
      await link.send(m);
    }
    await acked;
    const ms = performance.now() - t0;
    return { mbPerS: (count * bytes) / 1e6 / (ms / 1000), ms, bytes: count * bytes };
  },
  /** This tab's place in a reduction tree for one step (shared/p2p/relay.ts); a child connects to its parent. */
  async treeRole(step: number, parentId: string | null, children: string[], params: number, openTimeoutMs: number): Promise<boolean> {
    state.params = params;
    state.relay = new StepRelay(step, children, (sum) => {
      const wire = encodeSum(sum);
      if (state.parent) state.parent.send(wire).catch(() => undefined);
      else state.root = { count: sum.count, lossSum: sum.lossSum, total: sum.grad.reduce((a, v) => a + v, 0), head: [...sum.grad.subarray(0, 4)], bytes: wire.byteLength, doneAt: Date.now() };
    });
    if (parentId === null) return true;
    const link = (await state.node?.connect(parentId, openTimeoutMs)) ?? null;
    state.parent = link;
    return link !== null;
  },
  /** This tab's own gradient sum for the step: tab i's values are fround(sin(i*7919 + j) * (1 + i)). */
  contribute(step: number, i: number): number {
    state.startedAt = Date.now();
    const grad = Float32Array.from({ length: state.params }, (_, j) => Math.sin(i * 7919 + j) * (1 + i));
    const own: GradSum = { step, count: 8 + i, lossSum: 0.25 * i, grad };
    state.relay?.own(own);
    return state.startedAt;
  },
  /** The star baseline: this tab's own sum straight to a WebSocket sink; resolves with the time it started sending. */
  starSend(url: string, step: number, i: number, params: number): Promise<number> {
    const grad = Float32Array.from({ length: params }, (_, j) => Math.sin(i * 7919 + j) * (1 + i));
    const wire = encodeSum({ step, count: 8 + i, lossSum: 0.25 * i, grad });
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        const t = Date.now();
        ws.send(wire);
        resolve(t);
      };
      ws.onerror = () => reject(new Error(`no WebSocket to ${url}`));
    });
  },
  /** Whether this tab's data channel to its parent has closed (the parent left). */
  parentClosed(): boolean {
    return state.parent?.closed ?? false;
  },
  rootResult(): RootResult | null {
    return state.root;
  },
  received(): { bytes: number; messages: number } {
    return { bytes: state.received, messages: state.messages };
  },
};

(globalThis as unknown as { tabtrainP2p: typeof api }).tabtrainP2p = api;
