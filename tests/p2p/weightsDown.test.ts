import { describe, expect, it } from 'vitest';
import { ASKED_WAIT_MS, TreeWeights, type Clock, type WantWeights } from '../../client/p2p/treeWeights';
import { planWeightsDown, type SentWeights } from '../../coordinator/p2p/weightsDown';
import { chooseTree } from '../../shared/p2p/tree';
import { decodeWeightsDown, encodeWeightsDown, weightsChecksum, weightsDownStep, type WeightsDown } from '../../shared/p2p/weightsDown';
import { TaskFlag, TensorCodec, fp32Payload, type TreeBody } from '../../shared/protocol';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Two float32 weights, 1 and -2, as version 7 of step 3. */
const W: WeightsDown = { step: 3, weightsVersion: 7, delta: false, baseVersion: 0, weights: fp32Payload(Float32Array.of(1, -2)) };

describe('weights down the tree: the data-channel message', () => {
  it('is golden bytes: magic, codec, flags, step, version, base, length, payload bytes, payload', () => {
    expect(hex(encodeWeightsDown(W))).toBe('57' + '01' + '00' + '00' + '03000000' + '07000000' + '00000000' + '02000000' + '08000000' + '0000803f' + '000000c0');
    const delta = encodeWeightsDown({ step: 4, weightsVersion: 8, delta: true, baseVersion: 7, weights: { codec: TensorCodec.FP16, length: 1, bytes: Uint8Array.of(0x00, 0x3c) } });
    expect(hex(delta)).toBe('57' + '02' + '01' + '00' + '04000000' + '08000000' + '07000000' + '01000000' + '02000000' + '003c');
  });

  it('decodes what it encodes, and names its step without decoding', () => {
    const bytes = encodeWeightsDown(W);
    expect(weightsDownStep(bytes)).toBe(3);
    const d = decodeWeightsDown(bytes);
    expect({ ...d, weights: { ...d.weights, bytes: hex(d.weights.bytes) } }).toEqual({ ...W, weights: { ...W.weights, bytes: '0000803f000000c0' } });
    expect(weightsDownStep(Uint8Array.of(0x54, 0, 0, 0))).toBeNull(); // a tree sum, not weights
  });

  it.each([
    ['another magic', (b: Uint8Array) => (b[0] = 0x54), /must start with 0x57/],
    ['an unknown codec', (b: Uint8Array) => (b[1] = 9), /tensor codec 9/],
    ['unknown flags', (b: Uint8Array) => (b[2] = 2), /unknown flags 0x2/],
    ['a payload size that does not match', (b: Uint8Array) => (b[20] = 9), /says its payload is 9 bytes; 8 follow/],
  ])('refuses %s with a typed error', (_what, damage, message) => {
    const bytes = encodeWeightsDown(W);
    damage(bytes);
    expect(() => decodeWeightsDown(bytes)).toThrow(message);
  });

  it('checksum: FNV-1a over codec, delta flag, version, base, length and payload; any change shows', () => {
    // The same bytes hashed by a plain FNV-1a loop: codec 1, flag 0, version 7, base 0, length 2, then 1.0f and -2.0f.
    const fields = Buffer.from('01' + '00' + '07000000' + '00000000' + '02000000' + '0000803f' + '000000c0', 'hex');
    let h = 0x811c9dc5;
    for (const b of fields) h = Math.imul(h ^ b, 0x01000193);
    expect(weightsChecksum(W)).toBe(h >>> 0);
    const flipped = Uint8Array.from(W.weights.bytes);
    flipped[7] ^= 1;
    const variants = [
      { ...W, weights: { ...W.weights, bytes: flipped } },
      { ...W, weightsVersion: 8 },
      { ...W, delta: true, baseVersion: 6 },
      { ...W, weights: { ...W.weights, codec: TensorCodec.FP16 } },
    ];
    for (const v of variants) expect(weightsChecksum(v)).not.toBe(weightsChecksum(W));
  });
});

describe('weights down the tree: which tabs get them from their parent (coordinator)', () => {
  // Seven tabs, fan-in 2: roots t0 t1; t2 t3 under t0, t4 t5 under t1, t6 under t2.
  const tree = chooseTree({ tabs: ['t0', 't1', 't2', 't3', 't4', 't5', 't6'], fanIn: 2 });
  const full: SentWeights = { payload: fp32Payload(Float32Array.of(1, 2)), delta: false, baseVersion: 0 };
  const delta: SentWeights = { payload: { codec: TensorCodec.INT8, length: 2, bytes: new Uint8Array(8) }, delta: true, baseVersion: 4 };

  it('fp32/fp16: every non-root tab gets the very payload of its parent, each relay forwards to all its children', () => {
    const plan = planWeightsDown(tree, () => full, () => 42);
    expect([...plan.fromParent.keys()].sort()).toEqual(['t2', 't3', 't4', 't5', 't6']);
    expect(plan.fromParent.get('t6')).toEqual({ sum: 42, level: 2 });
    expect(Object.fromEntries(plan.forward)).toEqual({ t0: ['t2', 't3'], t1: ['t4', 't5'], t2: ['t6'] });
  });

  it('delta: a tab that needs full weights (another base) gets them on the star, and so does its child that needs the delta', () => {
    const plan = planWeightsDown(tree, (t) => (t === 't2' ? full : delta), () => 7);
    expect([...plan.fromParent.keys()].sort()).toEqual(['t3', 't4', 't5']);
    expect(Object.fromEntries(plan.forward)).toEqual({ t0: ['t3'], t1: ['t4', 't5'] });
  });

  it('a relay that holds the step’s weights already (nothing to send it) forwards nothing', () => {
    const plan = planWeightsDown(tree, (t) => (t === 't1' ? null : full), () => 7);
    expect(plan.forward.has('t1')).toBe(false);
    expect(plan.fromParent.has('t4')).toBe(false);
  });
});

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  t = 0;
  private timers: { at: number; f: () => void; id: number }[] = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(f: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, f, id });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const due of this.timers.filter((x) => x.at <= this.t)) {
      this.clearTimeout(due.id);
      due.f();
    }
  }
}

describe('weights down the tree: a child tab waits for them, checks them, or asks the coordinator (fake clock)', () => {
  const role = (w: WeightsDown, waitMs = 2000): TreeBody => ({ step: w.step, taskId: 11, parent: 'p', children: [], waitMs: 0, weights: { version: w.weightsVersion, sum: weightsChecksum(w), waitMs } });
  const setup = (): { tw: TreeWeights; clock: ManualClock; wants: WantWeights[] } => {
    const clock = new ManualClock();
    const wants: WantWeights[] = [];
    return { tw: new TreeWeights((w) => wants.push(w), clock), clock, wants };
  };

  it('installs intact weights from the parent, whether they come before or after the task starts', async () => {
    const { tw, wants } = setup();
    tw.role(role(W));
    tw.fromParent(encodeWeightsDown(W));
    const got = await tw.wait(11);
    expect(got).toMatchObject({ weightsVersion: 7, flags: 0, baseVersion: 0 });
    expect(hex(got!.weights.bytes)).toBe(hex(W.weights.bytes));

    const d: WeightsDown = { ...W, step: 4, weightsVersion: 8, delta: true, baseVersion: 7 };
    tw.role({ ...role(d), taskId: 12 });
    const later = tw.wait(12);
    tw.fromParent(encodeWeightsDown(d));
    expect(await later).toMatchObject({ weightsVersion: 8, flags: TaskFlag.WEIGHTS_DELTA, baseVersion: 7 });
    expect(tw.counts).toEqual({ viaTree: 2, fallbacks: 0, refused: 0 });
    expect(wants).toEqual([]);
  });

  it('damaged weights (checksum off): asks the coordinator at once, and takes its WEIGHTS answer', async () => {
    const { tw, wants } = setup();
    tw.role(role(W));
    const waiting = tw.wait(11);
    const bad = encodeWeightsDown(W);
    bad[bad.length - 1] ^= 0x80; // -2 becomes 2
    tw.fromParent(bad);
    expect(wants).toEqual([{ step: 3, taskId: 11, version: 7, why: 'the tree brought weights whose checksum does not match' }]);
    expect(tw.fromCoordinator({ weightsVersion: 6, weights: W.weights })).toBe(false); // not the version asked for
    expect(tw.fromCoordinator({ weightsVersion: 7, weights: W.weights })).toBe(true);
    expect(await waiting).toMatchObject({ weightsVersion: 7, flags: 0 });
    expect(tw.counts).toEqual({ viaTree: 0, fallbacks: 1, refused: 1 });
  });

  it('nothing from the parent (it left mid-forward): asks after the bounded wait; no answer either: gives up after ASKED_WAIT_MS', async () => {
    const { tw, clock, wants } = setup();
    tw.role(role(W, 2000));
    let result: unknown = 'pending';
    void tw.wait(11).then((r) => (result = r));
    clock.advance(1999);
    expect(wants).toEqual([]);
    clock.advance(1);
    expect(wants).toEqual([{ step: 3, taskId: 11, version: 7, why: 'they did not come down the tree within 2000 ms of the TREE' }]);
    // Weights from the parent that come after the tab asked are not used: the coordinator's answer is awaited.
    tw.fromParent(encodeWeightsDown(W));
    await Promise.resolve();
    expect(result).toBe('pending');
    clock.advance(ASKED_WAIT_MS);
    await Promise.resolve();
    expect(result).toBeNull();
    expect(tw.counts.fallbacks).toBe(1);
  });

  it('a task whose role does not say its weights come down the tree does not wait', async () => {
    const { tw } = setup();
    tw.role({ ...role(W), weights: undefined });
    expect(tw.expects(11)).toBe(false);
    expect(await tw.wait(11)).toBeNull();
  });
});
