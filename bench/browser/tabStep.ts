import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { GradientEncoder } from '../../shared/compress';
import type { Dataset } from '../../shared/data/dataset';
import type { WeightSpec } from '../../shared/protocol/schemas';
import { Trainer } from '../../client/trainer/trainer';
import { lossSum, type LossName } from '../../client/trainer/loss';
import { makeBatch } from '../../client/trainer/batch';

/**
 * The step anatomy of one tab, in the tab: the real Trainer (the code a
 * tabtrain tab runs) on a synthetic dataset of the run's shape, timed part by
 * part, with a GPU sync after each part so the parts add up to the step:
 * install weights, gather + upload the batch, forward/backward, read the
 * gradient back, encode it. Run in the page or in a Web Worker (the volunteer
 * tab computes in a worker), next to the plain-tfjs baseline.
 */
export interface TabStepOptions {
  topology: Record<string, unknown>;
  specs: WeightSpec[];
  inputShape: number[];
  classes: number;
  trainSize: number;
  batch: number;
  steps: number;
  loss: string;
  backend: string;
  /** WebGL shapes as uniforms (tfjs default, as tabtrain tabs run: false). */
  shapeUniforms?: boolean;
}

export interface TabStepResult {
  backend: string;
  where: 'page' | 'worker';
  /** Per step, ms: whole step as a tab runs it (no syncs in between). */
  stepMs: number[];
  /** Medians, ms, of each part with a sync after it. */
  parts: Record<string, number>;
  profile: { kernelMs: number; newBytes: number; kernels: number; top: { name: string; ms: number }[] } | null;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

export async function tabStep(o: TabStepOptions): Promise<TabStepResult> {
  if (o.backend === 'webgl' && o.shapeUniforms !== undefined) tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', o.shapeUniforms);
  await tf.setBackend(o.backend);
  await tf.ready();
  const d = o.inputShape.reduce((a, b) => a * b, 1);
  const ds: Dataset = {
    meta: { name: 'synthetic', task: 'classification', inputShape: o.inputShape, numClasses: o.classes, featureType: 'u8', splits: { train: o.trainSize, val: 0, test: 0 } },
    features: Uint8Array.from({ length: o.trainSize * d }, () => Math.floor(Math.random() * 256)),
    labels: Uint16Array.from({ length: o.trainSize }, () => Math.floor(Math.random() * o.classes)),
  };
  const trainer = await Trainer.create(o.topology, o.specs, ds, o.loss as LossName, { shapeBuckets: o.backend !== 'cpu' });
  const size = trainer.bound.trainableSize + trainer.bound.stateSize;
  const weights = Float32Array.from({ length: size }, () => (Math.random() - 0.5) * 0.1);
  const enc = new GradientEncoder({ name: 'none' }, trainer.bound.trainableSize);
  const indices = (): Uint32Array => Uint32Array.from({ length: o.batch }, () => Math.floor(Math.random() * o.trainSize));
  const sync = async (): Promise<void> => {
    const v = trainer.bound.trainable[0]!;
    const one = tf.tidy(() => v.reshape([-1]).slice([0], [1]));
    await one.data();
    one.dispose();
  };
  await trainer.warmup([o.batch]);
  // Whole steps as the session runs them.
  const stepMs: number[] = [];
  for (let s = 0; s < o.steps; s++) {
    const t0 = performance.now();
    trainer.setWeights(s, weights);
    const g = await trainer.gradient(indices());
    enc.encode(g.grad);
    stepMs.push(performance.now() - t0);
  }
  // The same step, a sync after each part (the parts of client/trainer/gradient.ts).
  const parts: Record<string, number[]> = { weights: [], batch: [], forwardBackward: [], concat: [], readback: [], encode: [] };
  const lap = (name: string, t: number): number => {
    const n = performance.now();
    parts[name]!.push(n - t);
    return n;
  };
  const syncOn = async (x: tf.Tensor): Promise<void> => {
    await tf.tidy(() => x.reshape([-1]).slice([0], [1])).data();
  };
  const bound = trainer.bound;
  for (let s = 0; s < Math.min(o.steps, 16); s++) {
    let t = performance.now();
    trainer.setWeights(s, weights);
    await sync();
    t = lap('weights', t);
    const idx = indices();
    const { x, y, mask } = makeBatch(ds, idx, o.classes, trainer.rowsFor(idx.length));
    await syncOn(x);
    t = lap('batch', t);
    const r = tf.variableGrads(() => lossSum(o.loss as LossName, y, bound.model.apply(x, { training: true }) as tf.Tensor, mask), bound.trainable);
    await syncOn(r.value);
    t = lap('forwardBackward', t);
    const flat = tf.tidy(() => tf.concat(bound.trainable.map((v) => r.grads[v.name]!.reshape([-1]))));
    await syncOn(flat);
    t = lap('concat', t);
    const grad = (await flat.data()) as Float32Array;
    await r.value.data();
    t = lap('readback', t);
    enc.encode(grad);
    lap('encode', t);
    tf.dispose([x, y, mask, r.value, flat, ...Object.values(r.grads)].filter((z): z is tf.Tensor => z !== null));
  }
  let profile: TabStepResult['profile'] = null;
  try {
    const p = await tf.profile(async () => {
      trainer.setWeights(0, weights);
      await trainer.gradient(indices());
    });
    const byName = new Map<string, number>();
    let kernelMs = 0;
    for (const k of p.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      kernelMs += ms;
      byName.set(k.name, (byName.get(k.name) ?? 0) + ms);
    }
    const top = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, ms]) => ({ name, ms: Math.round(ms * 100) / 100 }));
    profile = { kernelMs, newBytes: p.newBytes, kernels: p.kernels.length, top };
  } catch {
    profile = null;
  }
  const tensors = tf.memory().numTensors;
  trainer.dispose();
  return {
    backend: tf.getBackend(),
    where: typeof document === 'undefined' ? 'worker' : 'page',
    stepMs,
    parts: { ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)])), tensorsAfter: tensors },
    profile,
  };
}

const g = globalThis as unknown as { tabtrainTabStep: typeof tabStep; onmessage: ((e: MessageEvent<TabStepOptions>) => void) | null; postMessage?: (m: unknown) => void };
g.tabtrainTabStep = tabStep;
if (typeof document === 'undefined') {
  g.onmessage = (e) => {
    tabStep(e.data).then(
      (r) => g.postMessage!(r),
      (err: unknown) => g.postMessage!({ error: err instanceof Error ? err.message : String(err) }),
    );
  };
}
