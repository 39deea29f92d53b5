import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from './backend';
import { GradientHold } from './gradientHold';
import type { FromPeer, ModelFacts, StartRequest, ToPeer } from './hostMessages';
import { PeerSession } from './session';
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
      case 'hold':
        this.hold.act(m.action);
        return;
    }
  }

  private async start(m: StartRequest): Promise<void> {
    const choice = await chooseBackend(m.backend);
    this.emit({ type: 'backend', choice });
    const session = new PeerSession({
      url: m.url,
      hello: { ...m.hello, backend: choice.backend, backendNote: `${choice.note}; ${m.where}`.slice(0, 500), renderer: choice.renderer.slice(0, 200) },
      socket: (url) => new WebSocket(url) as unknown as PeerSocket,
      resolveUrl: (path) => new URL(path, m.pageUrl).toString(),
      onChange: (stats) => this.emit({ type: 'stats', stats: { ...stats }, model: this.model() }),
      onWeights: () => this.emit({ type: 'task-done', steps: session.stats.steps, tensors: tf.memory().numTensors }),
      shapeBuckets: m.shapeBuckets ?? choice.backend === 'webgl',
      trace: this.hold,
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
