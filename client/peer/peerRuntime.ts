import * as tf from '@tensorflow/tfjs';
import { measureBackends, missingNote, probeBackends, provisional } from './backend';
import { candidates } from './backendChoice';
import { GradientHold } from './gradientHold';
import type { FromPeer, ModelFacts, StartRequest, ToPeer } from './hostMessages';
import { PeerSession } from './session';
import { continueText } from '../trainer/textModel';
import { RECURRENT_NOTE, isRecurrent, recurrentCandidates } from './recurrentChoice';
import type { PeerSocket } from './socket';

/**
 * A tab's peer: picks a tfjs backend, runs the protocol session, and answers
 * the page (the drawing pad's predictions, test hooks). The same code runs in
 * a Web Worker (`client/worker/peerWorker.ts`) and, as a fallback, in the
 * page (`client/volunteer/peerHost.ts`); only the transport differs.
 */
export class PeerRuntime {
  private session: PeerSession | null = null;
  private readonly hold = new GradientHold((held) => this.emit({ type: 'held', held }));

  constructor(private readonly emit: (m: FromPeer) => void) {}

  handle(m: ToPeer): void {
    switch (m.type) {
      case 'start':
        if (this.session) return;
        this.start(m).catch((e: unknown) => this.emit({ type: 'failed', message: e instanceof Error ? e.message : String(e) }));
        return;
      case 'predict':
        this.emit({ type: 'predicted', id: m.id, ...this.predict(m.pixels) });
        return;
      case 'sample':
        this.emit({ type: 'sampled', id: m.id, ...continueText(this.session?.currentTrainer ?? null, m) });
        return;
      case 'hold':
        this.hold.act(m.action);
        return;
      case 'p2p-reply':
        this.session?.p2pReply(m.reply);
        return;
    }
  }

  private async start(m: StartRequest): Promise<void> {
    const { caps, renderer } = await probeBackends();
    // `?backend=X` forces X; `?backend=all` times every backend, wasm and cpu included. By default the GPU
    // backends are timed against each other, and wasm/cpu only where there is none: a GPU backend leaves the
    // laptop's cores to the page (and to a coordinator on the same machine).
    const asked = m.backend && m.backend !== 'all' ? m.backend : null;
    const gpus = candidates(caps, null).filter((b) => b === 'webgl' || b === 'webgpu');
    const tried = asked ? candidates(caps, asked) : m.backend === 'all' || gpus.length === 0 ? candidates(caps, null) : gpus;
    const first = await provisional(caps, tried[0] ?? asked);
    const missing = missingNote(caps);
    const choice = { ...first, note: tried.length > 1 ? `${first.note}${missing ? `; ${missing}` : ''}` : `${first.backend}${asked ? ' (as the link asks)' : ': the only backend to try here'}${missing ? `; ${missing}` : ''}` };
    this.emit({ type: 'backend', choice });
    const where = m.where;
    const session = new PeerSession({
      url: m.url,
      hello: { ...m.hello, backend: choice.backend, backendNote: `${choice.note}; ${where}`.slice(0, 500), renderer: (renderer || choice.renderer).slice(0, 200) },
      socket: (url) => new WebSocket(url) as unknown as PeerSocket,
      resolveUrl: (path) => new URL(path, m.pageUrl).toString(),
      onChange: (stats) => this.emit({ type: 'stats', stats: { ...stats }, model: this.model() }),
      onWeights: () => this.emit({ type: 'task-done', steps: session.stats.steps, tensors: tf.memory().numTensors }),
      // Backends that compile a program per tensor shape get padded batches (bucket.ts).
      shapeBuckets: m.shapeBuckets ?? (() => tf.getBackend() === 'webgl' || tf.getBackend() === 'webgpu'),
      trace: this.hold,
      p2p: (call) => this.emit({ type: 'p2p', call }),
      // A recurrent model is timed on wasm and cpu instead (recurrentChoice.ts says why), unless the link names a backend.
      measure: async (build, topology, expected) => {
        const recurrent = !asked && m.backend !== 'all' && isRecurrent(topology);
        const list = recurrent ? recurrentCandidates(caps) : tried;
        if (list.length === 1 && !recurrent) {
          // As before: the one backend there is (set again: a recurrent run before may have left cpu or wasm set).
          await tf.setBackend(choice.backend);
          await tf.ready();
          const trainer = await build();
          return { trainer, speed: await trainer.warmup(expected), backend: choice.backend, note: `${choice.note}; ${where}`.slice(0, 500) };
        }
        const r = await measureBackends(caps, null, expected, build, list);
        const said = recurrent ? `${r.decision.note}; ${RECURRENT_NOTE}` : r.decision.note;
        const note = `${said}; ${where}`;
        this.emit({ type: 'backend', choice: { backend: r.decision.backend, note: said, renderer: r.decision.backend === 'webgl' ? renderer : '' } });
        return { trainer: r.kept, speed: r.speed, backend: r.decision.backend, note };
      },
    });
    this.session = session;
    session.start();
  }

  private model(): ModelFacts | null {
    const meta = this.session?.currentTrainer?.dataset.meta;
    return meta ? { task: meta.task, numClasses: meta.numClasses, inputShape: meta.inputShape, classNames: meta.classNames } : null;
  }

  private predict(pixels: Float32Array): { probs: number[] | null; weightsVersion: number } {
    const t = this.session?.currentTrainer;
    if (!t) return { probs: null, weightsVersion: -1 };
    return { probs: Array.from(t.predict(pixels)), weightsVersion: t.weightsVersion };
  }
}
