/**
 * The course's pictures of a model beyond GET /api/view's (session/modelView.ts):
 * generated text for a character model, reconstructions and 2-D codes for an
 * autoencoder, decision regions in 2-D projections for a tabular classifier
 * with more than two features (iris). GET /api/course; the dashboard draws
 * them (client/dashboard/courseViews.ts). Plain JSON.
 */
export interface TextSnapshot {
  step: number;
  version: number;
  samples: string[];
}

export interface TextView {
  kind: 'text';
  version: number;
  step: number;
  temperature: number;
  seeds: number[];
  /** The samples now, and at earlier steps (first one seen, then spread over the run). */
  snapshots: TextSnapshot[];
  /** How many of the latest samples are in the training text (names: whole names). */
  novel: number | null;
}

export interface AutoencoderView {
  kind: 'autoencoder';
  version: number;
  step: number;
  size: [number, number];
  /** Test images and their reconstructions, 0-255 grey per pixel. */
  inputs: number[][];
  outputs: number[][];
  /** Reconstruction MSE per pixel over those images. */
  mse: number;
  /** With a 2-unit code: test images' codes and labels [x, y, label]. */
  codes: [number, number, number][] | null;
  classNames: string[] | null;
}

export interface ProjectionPanel {
  x: number;
  y: number;
  xName: string;
  yName: string;
  grid: number;
  extent: [number, number, number, number];
  cls: number[];
  conf: number[];
  points: [number, number, number][];
}

export interface ProjectionView {
  kind: 'projections';
  version: number;
  step: number;
  classNames: string[] | null;
  /** The features held at their training means, in the same units as the axes. */
  held: { name: string; value: number }[][];
  panels: ProjectionPanel[];
}

export type CourseView = { kind: 'none'; version: number } | TextView | AutoencoderView | ProjectionView;
