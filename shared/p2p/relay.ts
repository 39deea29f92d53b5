import { addInto, type GradSum } from './sum';

/**
 * A tab's part in one step of the reduction tree: it adds its children's
 * sums (gradient sums with sample counts and loss sums) to its own and,
 * once every child's sum and its own are in, hands ONE sum up (to its parent
 * tab, or to the coordinator for a root). A leaf is a relay with no
 * children. Sums of another step, from a tab that is not its child, or a
 * second sum from the same child are refused (counted, never added).
 *
 * It never sends a partial sum: a child that stalls or leaves makes the
 * relay's subtree late, so a sum always covers exactly the tabs expected.
 * No sockets, no timers. Training runs use coverRelay.ts (a bounded wait,
 * and the list of tasks a sum covers); this one is the probe's
 * (client/p2p/probe.ts), for e2e/p2p-tree.spec.ts's transport-only steps.
 */
export class StepRelay {
  private acc: GradSum | null = null;
  private readonly heard = new Set<string>();
  private sent = false;
  refused = 0;

  constructor(
    readonly step: number,
    readonly children: readonly string[],
    private readonly sendUp: (sum: GradSum) => void,
  ) {}

  /** This tab's own gradient sum for the step. */
  own(sum: GradSum): void {
    if (sum.step !== this.step || this.heard.has('')) {
      this.refused++;
      return;
    }
    this.heard.add('');
    this.add(sum);
  }

  /** A child's sum arrived on its data channel. */
  fromChild(child: string, sum: GradSum): void {
    if (!this.children.includes(child) || this.heard.has(child) || sum.step !== this.step || this.sent) {
      this.refused++;
      return;
    }
    this.heard.add(child);
    this.add(sum);
  }

  /** Children whose sums are still missing (for the tab's status). */
  waitingFor(): string[] {
    return this.children.filter((c) => !this.heard.has(c));
  }

  get done(): boolean {
    return this.sent;
  }

  private add(sum: GradSum): void {
    if (this.acc === null) this.acc = { step: sum.step, count: sum.count, lossSum: sum.lossSum, grad: Float32Array.from(sum.grad) };
    else addInto(this.acc, sum);
    if (this.heard.size === this.children.length + 1 && !this.sent) {
      this.sent = true;
      this.sendUp(this.acc);
    }
  }
}
