import * as tf from '@tensorflow/tfjs';
import type { Request, Response } from 'express';
import { sampleSize, splitRange } from '../../shared/data/dataset';
import { buildWithWeights } from '../model/export';
import type { TrainingCoordinator } from '../run/coordinator';
import { round2, round3 } from '../model/view/viewMath';
import { softmaxIfNeeded } from '../../shared/data/probabilities';

/**
 * A picture of the model for people: for the 2-D sets the training points
 * and the decision regions on a grid (TensorFlow Playground style), for a
 * 1-D regression the fitted curve over the data, for image models the first
 * layer's weights (MLP) or filters (CNN) as small images. Computed on the
 * coordinator from its own weights, at most once per weights version and
 * only when a page asks (GET /api/view with the admin or the join token),
 * so a run nobody watches pays nothing.
 */
export type ModelView =
  | { kind: 'none'; version: number }
  | { kind: 'boundary'; version: number; step: number; grid: number; extent: [number, number, number, number]; classes: number; cls: number[]; conf: number[]; points: [number, number, number][] }
  | { kind: 'curve'; version: number; step: number; xs: number[]; ys: number[]; points: [number, number][] }
  | { kind: 'filters'; version: number; step: number; layer: string; size: [number, number]; images: number[][] };

const GRID = 48;
const MAX_POINTS = 400;
const MAX_FILTERS = 32;

export class ModelViewSource {
  private cached: ModelView | null = null;
  private busy: Promise<ModelView> | null = null;

  constructor(private readonly run: TrainingCoordinator) {}

  async get(): Promise<ModelView> {
    const version = this.run.store.version;
    if (this.cached && this.cached.version === version) return this.cached;
    this.busy ??= this.compute(version).finally(() => (this.busy = null));
    this.cached = await this.busy;
    return this.cached;
  }

  private async compute(version: number): Promise<ModelView> {
    const s = this.run.setup;
    const m = s.dataset.meta;
    const step = this.run.step;
    const shape = m.inputShape;
    if (m.featureType === 'f32' && shape.length === 1 && shape[0] === 2 && m.task === 'classification') return { ...(await this.boundary(m.numClasses)), version, step };
    if (m.featureType === 'f32' && shape.length === 1 && shape[0] === 1 && m.task === 'regression' && m.numClasses === 1) return { ...(await this.curve()), version, step };
    const first = s.model.specs.find((w) => w.trainable && (w.shape.length === 4 || (w.shape.length === 2 && shape.length >= 2)));
    if (first && shape.length >= 2) return { ...this.filters(first.name, first.shape), version, step };
    return { kind: 'none', version };
  }

  private trainPoints(): { xs: Float32Array; count: number } {
    const d = this.run.setup.dataset;
    const { start, end } = splitRange(d.meta, 'train');
    const n = end - start;
    const take = Math.min(n, MAX_POINTS);
    const size = sampleSize(d.meta);
    const xs = new Float32Array(take * size);
    for (let i = 0; i < take; i++) {
      const at = start + Math.floor((i * n) / take);
      for (let k = 0; k < size; k++) xs[i * size + k] = Number(d.features[at * size + k]);
    }
    return { xs, count: take };
  }

  private labelAt(i: number): number {
    const d = this.run.setup.dataset;
    const { start, end } = splitRange(d.meta, 'train');
    const n = end - start;
    return Number(d.labels[start + Math.floor((i * n) / Math.min(n, MAX_POINTS))]);
  }

  private async predict(inputs: Float32Array, width: number): Promise<{ out: Float32Array; outWidth: number }> {
    const model = await buildWithWeights(this.run.setup.model, this.run.store.weights);
    try {
      return tf.tidy(() => {
        const y = model.predict(tf.tensor2d(inputs, [inputs.length / width, width])) as tf.Tensor;
        return { out: y.dataSync() as Float32Array, outWidth: y.shape[1] ?? 1 };
      });
    } finally {
      model.dispose();
    }
  }

  private async boundary(classes: number): Promise<Omit<Extract<ModelView, { kind: 'boundary' }>, 'version' | 'step'>> {
    const { xs, count } = this.trainPoints();
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < count; i++) {
      x0 = Math.min(x0, xs[2 * i]!);
      x1 = Math.max(x1, xs[2 * i]!);
      y0 = Math.min(y0, xs[2 * i + 1]!);
      y1 = Math.max(y1, xs[2 * i + 1]!);
    }
    // A margin so points on the edge are not cut in half.
    const mx = 0.08 * (x1 - x0 || 1);
    const my = 0.08 * (y1 - y0 || 1);
    const extent: [number, number, number, number] = [x0 - mx, x1 + mx, y0 - my, y1 + my];
    const grid = new Float32Array(GRID * GRID * 2);
    for (let r = 0; r < GRID; r++) {
      for (let c = 0; c < GRID; c++) {
        const i = r * GRID + c;
        grid[2 * i] = extent[0] + ((c + 0.5) / GRID) * (extent[1] - extent[0]);
        // Row 0 is the top of the picture: the largest y.
        grid[2 * i + 1] = extent[3] - ((r + 0.5) / GRID) * (extent[3] - extent[2]);
      }
    }
    const { out, outWidth } = await this.predict(grid, 2);
    const cls: number[] = [];
    const conf: number[] = [];
    for (let i = 0; i < GRID * GRID; i++) {
      if (outWidth === 1) {
        const p = out[i]!;
        cls.push(p >= 0.5 ? 1 : 0);
        conf.push(round2(Math.abs(p - 0.5) * 2));
      } else {
        const row = out.subarray(i * outWidth, (i + 1) * outWidth);
        const probs = softmaxIfNeeded(Array.from(row));
        let best = 0;
        probs.forEach((p, k) => (p > probs[best]! ? (best = k) : 0));
        cls.push(best);
        // 1/classes = no idea, 1 = certain.
        conf.push(round2(Math.max(0, (probs[best]! - 1 / outWidth) / (1 - 1 / outWidth))));
      }
    }
    const points: [number, number, number][] = [];
    for (let i = 0; i < count; i++) points.push([round3(xs[2 * i]!), round3(xs[2 * i + 1]!), this.labelAt(i)]);
    return { kind: 'boundary', grid: GRID, extent, classes: Math.max(2, classes), cls, conf, points };
  }

  private async curve(): Promise<Omit<Extract<ModelView, { kind: 'curve' }>, 'version' | 'step'>> {
    const { xs, count } = this.trainPoints();
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < count; i++) {
      lo = Math.min(lo, xs[i]!);
      hi = Math.max(hi, xs[i]!);
    }
    const n = 100;
    const grid = Float32Array.from({ length: n }, (_, i) => lo + (i / (n - 1)) * (hi - lo));
    const { out } = await this.predict(grid, 1);
    const points: [number, number][] = [];
    for (let i = 0; i < count; i++) points.push([round3(xs[i]!), round3(this.labelAt(i))]);
    return { kind: 'curve', xs: Array.from(grid, round3), ys: Array.from(out, round3), points };
  }

  private filters(name: string, shape: number[]): Omit<Extract<ModelView, { kind: 'filters' }>, 'version' | 'step'> {
    const specs = this.run.setup.model.specs;
    let at = 0;
    for (const w of specs) {
      if (w.name === name) break;
      at += w.shape.reduce((a, b) => a * b, 1);
    }
    const weights = this.run.store.weights;
    const inShape = this.run.setup.dataset.meta.inputShape;
    const images: number[][] = [];
    let size: [number, number];
    if (shape.length === 4) {
      // Conv kernel [kh, kw, inChannels, filters]: channel 0 of each filter.
      const [kh, kw, cin, f] = shape as [number, number, number, number];
      size = [kh, kw];
      for (let k = 0; k < Math.min(f, MAX_FILTERS); k++) {
        const img: number[] = [];
        for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) img.push(weights[at + ((y * kw + x) * cin + 0) * f + k]!);
        images.push(img);
      }
    } else {
      // Dense kernel [inputs, units]: each unit's incoming weights as an image of the input.
      const [inputs, units] = shape as [number, number];
      const [h, w] = [inShape[0]!, inShape[1]!];
      const ch = inputs / (h * w);
      size = [h, w];
      for (let u = 0; u < Math.min(units, MAX_FILTERS); u++) {
        const img: number[] = [];
        for (let p = 0; p < h * w; p++) img.push(weights[at + p * ch * units + u]!);
        images.push(img);
      }
    }
    // Each image scaled on its own: mid-grey is 0, white the largest positive, black the largest negative.
    const scaled = images.map((img) => {
      const m = Math.max(1e-8, ...img.map(Math.abs));
      return img.map((v) => Math.round(127.5 + (127.5 * v) / m));
    });
    return { kind: 'filters', layer: name, size, images: scaled };
  }
}


/** GET /api/view: the admin token (dashboard) or the join token (volunteer page) may look. */
export function attachModelView(app: { get(path: string, h: (req: Request, res: Response) => void): unknown }, run: TrainingCoordinator, tokens: { admin: string; join: string }): ModelViewSource {
  const source = new ModelViewSource(run);
  app.get('/api/view', (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    if (q.admin !== tokens.admin && q.t !== tokens.join) {
      res.status(403).json({ code: 'BAD_TOKEN', message: 'the model view needs the join link or the dashboard link' });
      return;
    }
    source.get().then(
      (v) => res.set('Cache-Control', 'no-store').json(v),
      (e: unknown) => res.status(500).json({ code: 'VIEW_FAILED', message: e instanceof Error ? e.message : String(e) }),
    );
  });
  return source;
}
