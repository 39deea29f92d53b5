import { z } from 'zod';
import { OPTIMIZER_NAMES } from '../optim/types';

/**
 * The dashboard's controls: the body of POST /api/control, the reply, and the
 * log entry each accepted control leaves (the report and the dashboard feed
 * carry the log). The server parses every request with `controlRequest`;
 * nothing past the parse sees an unchecked field.
 *
 *   {"action": "pause"}   {"action": "lr", "value": 0.01}   {"action": "batchSize", "value": "64"}
 *
 * Numeric values may come as JSON numbers or as numeric strings (a form field).
 */
export const CONTROL_ACTIONS = ['start', 'pause', 'resume', 'stop', 'lr', 'optimizer', 'batchSize'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/**
 * The accepted ranges, stated once: the schema checks them and a refusal
 * quotes them. The learning rate is (0, 10]: no optimizer here trains with
 * more than ~1, and a value such as 1e308 would turn the weights to Infinity
 * on the next step. The global batch is a whole number in [1, 1,000,000]
 * (the config's own bound), and the coordinator also caps it at the
 * training split's size (`batchSizeRangeFor`).
 */
export const CONTROL_RANGES = {
  lr: { min: 0, minExclusive: true, max: 10 },
  batchSize: { min: 1, max: 1_000_000 },
} as const;

export const LR_RANGE_TEXT = `(${CONTROL_RANGES.lr.min}, ${CONTROL_RANGES.lr.max}]`;

/** The batch-size range a run with `trainSize` training samples accepts, as the refusal states it. */
export function batchSizeRangeFor(trainSize: number): { min: number; max: number; text: string } {
  const max = Math.min(CONTROL_RANGES.batchSize.max, trainSize);
  return { min: CONTROL_RANGES.batchSize.min, max, text: `[${CONTROL_RANGES.batchSize.min}, ${max}]` };
}

/** How a refused value is quoted: numbers as JS prints them (1e+308, Infinity), the rest as JSON. */
const quote = (v: unknown): string => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? 'nothing'));

/**
 * A number within `ok`, or a string holding one (a form field). A non-number
 * is "needs a numeric value"; a number out of range (Infinity too) quotes the range.
 */
const numeric = (what: string, ok: (n: number) => boolean, range: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v),
    z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v) && ok(v), {
      error: (i) => (typeof i.input === 'number' && !Number.isNaN(i.input) ? `${what} must be ${range}, got ${quote(i.input)}` : `${what} needs a numeric value, got ${quote(i.input)}`),
    }),
  );

const lrValue = numeric('lr', (n) => Number.isFinite(n) && n > CONTROL_RANGES.lr.min && n <= CONTROL_RANGES.lr.max, `in ${LR_RANGE_TEXT}`);

const batchValue = numeric(
  'batchSize',
  (n) => Number.isInteger(n) && n >= CONTROL_RANGES.batchSize.min && n <= CONTROL_RANGES.batchSize.max,
  `a whole number in [${CONTROL_RANGES.batchSize.min}, ${CONTROL_RANGES.batchSize.max}]`,
);

const bare = <A extends ControlAction>(action: A) => z.object({ action: z.literal(action) }).strict();

export const controlRequest = z.discriminatedUnion(
  'action',
  [
    bare('start'),
    bare('pause'),
    bare('resume'),
    bare('stop'),
    z.object({ action: z.literal('lr'), value: lrValue }).strict(),
    z
      .object({
        action: z.literal('optimizer'),
        value: z.enum(OPTIMIZER_NAMES, { error: (i) => `optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}; got ${quote(i.input)}` }),
      })
      .strict(),
    z.object({ action: z.literal('batchSize'), value: batchValue }).strict(),
  ],
  { error: (i) => `action must be one of ${CONTROL_ACTIONS.join(', ')}; got ${quote((i.input as { action?: unknown } | null)?.action)}` },
);
export type ControlRequest = z.infer<typeof controlRequest>;

/** Parses a control body; on failure, the one sentence a person needs (the first problem found). */
export function parseControlRequest(body: unknown): { ok: true; request: ControlRequest } | { ok: false; message: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'send a JSON object: {"action": "pause"} or {"action": "lr", "value": 0.01}' };
  }
  const r = controlRequest.safeParse(body);
  if (r.success) return { ok: true, request: r.data };
  const issue = r.error.issues[0];
  if (issue?.code === 'unrecognized_keys') return { ok: false, message: `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: a control is {"action": ...} with a "value" for lr, optimizer and batchSize` };
  return { ok: false, message: issue?.message ?? 'invalid control request' };
}

export const controlEntry = z
  .object({
    action: z.enum(CONTROL_ACTIONS),
    /** Completed steps when it was applied: it affects step `step + 1` on. */
    step: z.number().int().nonnegative(),
    /** Seconds since the run started (the history's clock). */
    t: z.number(),
    from: z.union([z.string(), z.number()]).optional(),
    to: z.union([z.string(), z.number()]).optional(),
  })
  .strict();
export type ControlEntry = z.infer<typeof controlEntry>;

/** The reply to POST /api/control. */
export const controlReply = z.union([
  z.object({ ok: z.literal(true), control: controlEntry }).strict(),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }).strict(),
]);
export type ControlReply = z.infer<typeof controlReply>;
