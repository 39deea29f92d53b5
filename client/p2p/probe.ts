import { P2pNode, type P2pLink } from './link';

/**
 * A page-side handle on the p2p transport for e2e specs and the throughput
 * figure (e2e/p2p-link.spec.ts): open a node, connect, push bytes, time them.
 * Bundled on its own (IIFE) by the spec; never part of the volunteer page.
 */
interface ProbeState {
  node: P2pNode | null;
  links: P2pLink[];
  received: number;
  messages: number;
}

const state: ProbeState = { node: null, links: [], received: 0, messages: 0 };

function track(link: P2pLink): void {
  state.links.push(link);
  link.onMessage((m) => {
    state.received += m.byteLength;
    state.messages++;
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
  received(): { bytes: number; messages: number } {
    return { bytes: state.received, messages: state.messages };
  },
};

(globalThis as unknown as { tabtrainP2p: typeof api }).tabtrainP2p = api;
