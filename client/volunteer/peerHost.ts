import type { P2pCall } from '../p2p/bridge';
import type { TabTree } from '../p2p/tabTree';
import type { BackendChoice } from '../peer/backend';
import type { Continuation, FromPeer, HoldAction, ModelFacts, Prediction, SampleRequest, StartRequest, ToPeer } from '../peer/hostMessages';
import type { PeerStats } from '../peer/session';

/**
 * The page's handle on its peer. By default the peer runs in a Web Worker
 * with WebGL through OffscreenCanvas, so a hidden tab or one behind other
 * windows keeps its speed (the page's own timers and GPU work are throttled
 * then). Where the browser has WebGL in the page but not in a worker, the
 * peer runs in the page, since WebGL there beats wasm in a worker; where it
 * has neither, the worker runs wasm or cpu. `?worker=0` forces the page.
 */
export type Where = 'worker' | 'page';

export interface Placement {
  where: Where;
  why: string;
}

export interface Capabilities {
  workers: boolean;
  workerWebGL: boolean;
  pageWebGL: boolean;
}

const IN_WORKER = 'in a Web Worker, so it keeps its speed when this tab is hidden';

/** Where the peer should run: pure, so it is tested without a browser. */
export function placement(asked: string | null, c: Capabilities, backend: string | null = null): Placement {
  if (asked === '0' || asked === 'page') return { where: 'page', why: 'in the page, as the link asks (?worker=0); it slows down when this tab is hidden' };
  if (!c.workers) return { where: 'page', why: 'in the page: this browser has no Web Workers; it slows down when this tab is hidden' };
  const wantsWebGL = backend === null || backend === 'webgl';
  if (wantsWebGL && !c.workerWebGL && c.pageWebGL)
    return { where: 'page', why: 'in the page: this browser has no WebGL in workers (OffscreenCanvas); it slows down when this tab is hidden' };
  return { where: 'worker', why: IN_WORKER };
}

export function capabilities(): Capabilities {
  const gl = (make: () => WebGLRenderingContext | WebGL2RenderingContext | null): boolean => {
    try {
      const ctx = make();
      // Give the context back at once: browsers cap the number alive.
      ctx?.getExtension('WEBGL_lose_context')?.loseContext();
      return ctx !== null;
    } catch {
      return false;
    }
  };
  return {
    workers: typeof Worker === 'function',
    workerWebGL: typeof OffscreenCanvas === 'function' && gl(() => new OffscreenCanvas(1, 1).getContext('webgl2')),
    pageWebGL: gl(() => document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl')),
  };
}

export interface HostEvents {
  backend(choice: BackendChoice): void;
  stats(stats: PeerStats): void;
  taskDone(steps: number): void;
  failed(message: string): void;
}

export class PeerHost {
  stats: PeerStats | null = null;
  model: ModelFacts | null = null;
  /** Test hook state: a gradient is being held back (see GradientHold). */
  held = false;
  /** Live tensor count after each finished task, by step count (the leak check reads it). */
  readonly tensorsAfterStep: Record<number, number> = {};
  /** --p2p: the page's peer-to-peer side (client/p2p/tabTree.ts), set when the peer starts. */
  onP2p: ((call: P2pCall) => void) | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, (p: Prediction) => void>();
  private readonly pendingText = new Map<number, (c: Continuation) => void>();

  constructor(
    readonly placement: Placement,
    private readonly events: HostEvents,
    /** To the peer: the worker's postMessage, or the in-page runtime's handle. */
    readonly send: (m: ToPeer) => void,
  ) {}

  receive(m: FromPeer): void {
    switch (m.type) {
      case 'backend':
        return this.events.backend(m.choice);
      case 'stats':
        this.stats = m.stats;
        this.model = m.model;
        return this.events.stats(m.stats);
      case 'task-done':
        this.tensorsAfterStep[m.steps] = m.tensors;
        return this.events.taskDone(m.steps);
      case 'predicted': {
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        return done?.({ probs: m.probs, weightsVersion: m.weightsVersion });
      }
      case 'sampled': {
        const done = this.pendingText.get(m.id);
        this.pendingText.delete(m.id);
        return done?.({ texts: m.texts, weightsVersion: m.weightsVersion, ms: m.ms });
      }
      case 'held':
        this.held = m.held;
        return;
      case 'failed':
        return this.events.failed(m.message);
      case 'p2p':
        return this.onP2p?.(m.call);
    }
  }

  /** The peer's own copy of the model reads the drawing pad. */
  predict(pixels: Float32Array): Promise<Prediction> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'predict', id, pixels });
    });
  }

  /** The peer's own copy of a character model continues the prefix box's text. */
  sample(r: SampleRequest): Promise<Continuation> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pendingText.set(id, resolve);
      this.send({ type: 'sample', id, ...r });
    });
  }

  hold(action: HoldAction): void {
    this.send({ type: 'hold', action });
  }
}

type Start = Omit<StartRequest, 'type' | 'where'>;

/** Starts the peer where `placement` says; a worker that cannot start falls back to the page. */
export async function startPeer(start: Start, asked: string | null, events: HostEvents): Promise<PeerHost> {
  let p = placement(asked, capabilities(), start.backend);
  if (p.where === 'worker') {
    const host = await tryWorker(start, p, events);
    if (host.ok) return withTree(host.host, start);
    p = { where: 'page', why: `in the page: the Web Worker did not start (${host.reason}); it slows down when this tab is hidden` };
  }
  // Loaded only here: in the usual case the page never downloads tfjs.
  const { PeerRuntime } = await import('../peer/peerRuntime');
  // The runtime answers only after `start`, so `host` is set by the time it first emits.
  const runtime = new PeerRuntime((m) => host.receive(m));
  const host = withTree(new PeerHost(p, events, (m) => runtime.handle(m)), start);
  host.send({ type: 'start', ...start, where: p.why });
  return host;
}

/** --p2p: data channels live in the page; peerjs is loaded the first time the session asks for them. */
function withTree(host: PeerHost, start: Start): PeerHost {
  let tree: Promise<TabTree> | null = null;
  host.onP2p = (call) => {
    tree ??= import('../p2p/tabTree').then(({ TabTree }) => new TabTree({ origin: new URL(start.pageUrl).origin, joinToken: start.hello.token, reply: (reply) => host.send({ type: 'p2p-reply', reply }) }));
    void tree.then((t) => t.handle(call));
  };
  return host;
}

function tryWorker(start: Start, p: Placement, events: HostEvents): Promise<{ ok: true; host: PeerHost } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'tabtrain peer' });
    } catch (e) {
      resolve({ ok: false, reason: e instanceof Error ? e.message : String(e) });
      return;
    }
    const host = new PeerHost(p, events, (m) => worker.postMessage(m));
    let heard = false;
    worker.onmessage = (e: MessageEvent<FromPeer>) => {
      if (!heard) resolve({ ok: true, host });
      heard = true;
      host.receive(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      const reason = e.message || 'the worker script failed to load';
      if (heard) return host.receive({ type: 'failed', message: `the computing thread stopped: ${reason}` });
      worker.terminate();
      resolve({ ok: false, reason });
    };
    host.send({ type: 'start', ...start, where: p.why });
  });
}
