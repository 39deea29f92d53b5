import type { Cover } from '../protocol/p2p';
import { addInto } from './sum';
import type { CoveredSum } from './treeSum';

/**
 * A tab's part in one step of a training run's reduction tree: it adds its
 * children's sums to its own, with the tasks each covers, and hands ONE sum
 * up (to its parent tab, or to the coordinator for a root). Unlike
 * relay.ts's StepRelay, the wait is bounded: `flush()` (the tab's timer,
 * `waitMs` after its own gradient) sends what is in. The sum names exactly
 * the tasks it holds, so the coordinator covers those and hands the
 * missing children's shards out again; a child's sum arriving after the
 * flush is refused (counted, never added). No sockets, no timers.
 */
export class CoverRelay {
  private acc: CoveredSum | null = null;
  private readonly heard = new Set<string>();
  private readonly early: CoveredSum[] = [];
  private sent = false;
  refused = 0;

  constructor(
    readonly step: number,
    readonly children: readonly string[],
    private readonly sendUp: (s: CoveredSum) => void,
  ) {}

  /** This tab's own gradient sum for the step. */
  own(s: CoveredSum): void {
    if (s.sum.step !== this.step || this.acc !== null || this.sent) {
      this.refused++;
      return;
    }
    this.acc = { sum: { ...s.sum, grad: Float32Array.from(s.sum.grad) }, covers: [...s.covers] };
    for (const e of this.early.splice(0)) this.add(e);
    this.maybeSend();
  }

  /** A child's sum arrived on its data channel (possibly before this tab's own). */
  fromChild(child: string, s: CoveredSum): void {
    if (!this.children.includes(child) || this.heard.has(child) || s.sum.step !== this.step || this.sent) {
      this.refused++;
      return;
    }
    this.heard.add(child);
    if (this.acc === null) this.early.push(s);
    else this.add(s);
    this.maybeSend();
  }

  /** The wait is over: send what is in (once this tab's own sum is). */
  flush(): void {
    if (this.acc !== null && !this.sent) this.send();
  }

  waitingFor(): string[] {
    return this.children.filter((c) => !this.heard.has(c));
  }

  get done(): boolean {
    return this.sent;
  }

  /** The tasks the sum holds so far. */
  get covers(): readonly Cover[] {
    return this.acc?.covers ?? [];
  }

  private add(s: CoveredSum): void {
    const acc = this.acc!;
    addInto(acc.sum, s.sum);
    acc.covers.push(...s.covers);
  }

  private maybeSend(): void {
    if (this.acc !== null && !this.sent && this.heard.size === this.children.length) this.send();
  }

  private send(): void {
    this.sent = true;
    this.sendUp(this.acc!);
  }
}
