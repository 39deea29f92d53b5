import type { Request, Response } from 'express';
import type * as tf from '@tensorflow/tfjs';
import type { TrainingCoordinator } from '../../run/coordinator';
import { assignWeights, buildWithWeights } from '../export';
import { normalizeWeights } from '../normalizeLayer';
import { autoencoderView } from './autoencoderView';
import { projectionView, wantsProjections } from './projectionView';
import { TextSamples } from './textView';
import type { CourseView } from './types';

/**
 * GET /api/course (the dashboard's admin token or the volunteer page's join
 * token): the course's pictures of the model (types.ts). Computed from the
 * coordinator's weights only when a page asks, at most once per weights
 * version and at most every MIN_GAP_MS (a text model's samples cost a
 * model call per character), so a run nobody watches pays nothing.
 */
const MIN_GAP_MS = 2000;

export class CourseViewSource {
  private cached: CourseView | null = null;
  private busy: Promise<CourseView> | null = null;
  private at = -Infinity;
  private readonly text: TextSamples;
  /** Built once (a char model's orthogonal initialiser is slow), each version's weights assigned. */
  private built: Promise<tf.LayersModel> | null = null;

  constructor(
    private readonly run: TrainingCoordinator,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.text = new TextSamples(run);
  }

  async get(): Promise<CourseView> {
    const version = this.run.store.version;
    // The same weights, or new ones too soon after the last computation (the final weights are always drawn).
    if (this.cached && (this.cached.version === version || (this.now() - this.at < MIN_GAP_MS && this.run.state !== 'done'))) return this.cached;
    this.busy ??= this.compute(version).finally(() => {
      this.busy = null;
      this.at = this.now();
    });
    this.cached = await this.busy;
    // The run is over and this view has its final weights: nothing will be drawn again, give the model back.
    if (this.run.state === 'done' && this.cached.version === this.run.store.version && this.built) {
      const built = this.built;
      this.built = null;
      void built.then((m) => m.dispose());
    }
    return this.cached;
  }

  private async compute(version: number): Promise<CourseView> {
    const meta = this.run.setup.dataset.meta;
    const projections = wantsProjections(meta);
    const autoencoder = meta.task === 'reconstruction' && meta.inputShape.length >= 2;
    if (meta.task !== 'sequence' && !autoencoder && !projections) return { kind: 'none', version };
    const model = await this.model(projections);
    if (meta.task === 'sequence') return this.text.compute(version, model);
    if (autoencoder) return autoencoderView(this.run, version, model);
    return projectionView(this.run, version, model);
  }

  /** The run's model with the current weights; behind the run's normalisation layer when `raw` (raw inputs in). */
  private async model(raw: boolean): Promise<tf.LayersModel> {
    const s = this.run.setup;
    const stats = raw ? s.normalization : null;
    if (!this.built) {
      this.built = buildWithWeights(s.model, this.run.store.weights, stats);
      return this.built;
    }
    const m = await this.built;
    assignWeights(m, this.run.store.weights, stats ? normalizeWeights(stats) : null);
    return m;
  }
}

export function attachCourseView(app: { get(path: string, h: (req: Request, res: Response) => void): unknown }, run: TrainingCoordinator, tokens: { admin: string; join: string }): CourseViewSource {
  const source = new CourseViewSource(run);
  app.get('/api/course', (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    if (q.admin !== tokens.admin && q.t !== tokens.join) {
      res.status(403).json({ code: 'BAD_TOKEN', message: 'the course view needs the join link or the dashboard link' });
      return;
    }
    source.get().then(
      (v) => res.set('Cache-Control', 'no-store').json(v),
      (e: unknown) => res.status(500).json({ code: 'VIEW_FAILED', message: e instanceof Error ? e.message : String(e) }),
    );
  });
  return source;
}
