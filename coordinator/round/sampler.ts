import { epochOrder } from '../../shared/data/shuffle';

/**
 * Walks the training split in a fresh seeded order each epoch, a global batch
 * at a time. The last batch of an epoch may be short: every sample is used
 * exactly once per epoch. Its whole state is (epoch, cursor), so a checkpoint
 * can restore the exact position.
 */
export interface SamplerState {
  epoch: number;
  cursor: number;
}

export class EpochSampler {
  private order: Uint32Array;
  epoch = 0;
  cursor = 0;

  constructor(
    private readonly seed: number,
    readonly trainSize: number,
    public batchSize: number,
  ) {
    this.order = epochOrder(seed, 0, trainSize);
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.trainSize / this.batchSize);
  }

  /** The next global batch (indices into the dataset) and the epoch it belongs to. */
  next(): { indices: Uint32Array; epoch: number; lastOfEpoch: boolean } {
    if (this.cursor >= this.trainSize) this.rollEpoch();
    const end = Math.min(this.trainSize, this.cursor + this.batchSize);
    const indices = this.order.slice(this.cursor, end);
    const epoch = this.epoch;
    this.cursor = end;
    return { indices, epoch, lastOfEpoch: end >= this.trainSize };
  }

  state(): SamplerState {
    return { epoch: this.epoch, cursor: this.cursor };
  }

  load(s: SamplerState): void {
    this.epoch = s.epoch;
    this.cursor = s.cursor;
    this.order = epochOrder(this.seed, this.epoch, this.trainSize);
  }

  private rollEpoch(): void {
    this.epoch++;
    this.cursor = 0;
    this.order = epochOrder(this.seed, this.epoch, this.trainSize);
  }
}
