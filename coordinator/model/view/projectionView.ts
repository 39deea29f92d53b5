import * as tf from '@tensorflow/tfjs';
import { splitRange } from '../../../shared/data/dataset';
import type { NormalizationStats } from '../../../shared/data/normalize';
import { IRIS_FEATURES } from '../../datasets/iris';
import type { TrainingCoordinator } from '../../run/coordinator';
import type { ProjectionPanel, ProjectionView } from './types';
import { round2, round3 } from './viewMath';
import { softmaxIfNeeded } from '../../../shared/data/probabilities';

/**
 * Decision regions of a classifier with 3 to 16 tabular features (iris: 4
 * measurements in cm), in 2-D projections: on each panel two features vary
 * over a grid and every other feature is held at its training mean; the
 * training points are drawn at their own two values. Panels: the last two
 * features and the first two (iris: petal length x petal width, sepal length
 * x sepal width). Axes in the data's own units: the model is built with the
 * run's normalisation as its first layer, as the export is.
 */
const GRID = 40;
const MAX_POINTS = 300;

export function wantsProjections(meta: { task: string; featureType: string; inputShape: number[] }): boolean {
  const n = meta.inputShape.length === 1 ? meta.inputShape[0]! : 0;
  return meta.task === 'classification' && meta.featureType === 'f32' && n >= 3 && n <= 16;
}

/** A stored (normalised) value back in the data's units. */
function raw(stats: NormalizationStats | null, j: number, v: number): number {
  if (!stats) return v;
  if (stats.kind === 'zscore') return v * stats.std[j]! + stats.mean[j]!;
  return v * (stats.max[j]! - stats.min[j]!) + stats.min[j]!;
}

/** `model` holds the run's weights behind its normalisation layer (raw inputs in, as the export). */
export async function projectionView(run: TrainingCoordinator, version: number, model: tf.LayersModel): Promise<ProjectionView> {
  const s = run.setup;
  const d = s.dataset;
  const meta = d.meta;
  const f = meta.inputShape[0]!;
  const names = meta.name === 'iris' ? [...IRIS_FEATURES].map((n) => `${n} (cm)`) : Array.from({ length: f }, (_, j) => `feature ${j + 1}`);
  const { start, end } = splitRange(meta, 'train');
  const n = end - start;
  // Training points in the data's units; their means hold the features a panel does not show.
  const pts: number[][] = [];
  const labels: number[] = [];
  const mean = new Array<number>(f).fill(0);
  for (let i = start; i < end; i++) {
    const row = Array.from({ length: f }, (_, j) => raw(s.normalization, j, Number(d.features[i * f + j])));
    row.forEach((v, j) => (mean[j]! += v / n));
    if (pts.length < MAX_POINTS) {
      pts.push(row);
      labels.push(Number(d.labels[i]));
    }
  }
  const pairs: [number, number][] = [[f - 2, f - 1], [0, 1]];
  {
    const panels: ProjectionPanel[] = [];
    for (const [a, b] of pairs) {
      const lo = (j: number): number => Math.min(...pts.map((p) => p[j]!));
      const hi = (j: number): number => Math.max(...pts.map((p) => p[j]!));
      const mx = 0.08 * (hi(a) - lo(a) || 1);
      const my = 0.08 * (hi(b) - lo(b) || 1);
      const extent: [number, number, number, number] = [lo(a) - mx, hi(a) + mx, lo(b) - my, hi(b) + my];
      const grid = new Float32Array(GRID * GRID * f);
      for (let r = 0; r < GRID; r++) {
        for (let c = 0; c < GRID; c++) {
          const row = grid.subarray((r * GRID + c) * f, (r * GRID + c + 1) * f);
          row.set(mean);
          row[a] = extent[0] + ((c + 0.5) / GRID) * (extent[1] - extent[0]);
          // Row 0 is the top of the picture: the largest value.
          row[b] = extent[3] - ((r + 0.5) / GRID) * (extent[3] - extent[2]);
        }
      }
      const out = tf.tidy(() => (model.predict(tf.tensor2d(grid, [GRID * GRID, f])) as tf.Tensor).dataSync() as Float32Array);
      const width = out.length / (GRID * GRID);
      const cls: number[] = [];
      const conf: number[] = [];
      for (let i = 0; i < GRID * GRID; i++) {
        const row = Array.from(out.subarray(i * width, (i + 1) * width));
        if (width === 1) {
          // One unit: a sigmoid probability, or a raw SVM score whose sign decides.
          const p = row[0]! >= 0 && row[0]! <= 1 ? row[0]! : 1 / (1 + Math.exp(-row[0]!));
          cls.push(p >= 0.5 ? 1 : 0);
          conf.push(round2(Math.abs(p - 0.5) * 2));
          continue;
        }
        const probs = softmaxIfNeeded(row);
        let best = 0;
        probs.forEach((p, k) => (p > probs[best]! ? (best = k) : 0));
        cls.push(best);
        conf.push(round2(Math.max(0, (probs[best]! - 1 / width) / (1 - 1 / width))));
      }
      panels.push({ x: a, y: b, xName: names[a]!, yName: names[b]!, grid: GRID, extent: extent.map(round3) as typeof extent, cls, conf, points: pts.map((p, i) => [round3(p[a]!), round3(p[b]!), labels[i]!]) });
      await new Promise((r) => setImmediate(r));
    }
    const held = pairs.map(([a, b]) => mean.flatMap((v, j) => (j === a || j === b ? [] : [{ name: names[j]!, value: round3(v) }])));
    return { kind: 'projections', version, step: run.step, classNames: meta.classNames ?? null, held, panels };
  }
}

