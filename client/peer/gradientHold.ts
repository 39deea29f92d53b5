import type { Trainer } from '../trainer/trainer';
import type { HoldAction } from './hostMessages';

/**
 * A test hook that makes this peer a slow laptop on demand: once armed, the
 * next gradient is computed and then held back (the page still says
 * "computing") until released; tests close the tab while it holds a shard.
 */
export class GradientHold {
  private armed = false;
  private release: (() => void) | null = null;
  private wrapped = new WeakSet<Trainer>();

  constructor(private readonly onHeld: (held: boolean) => void) {}

  act(action: HoldAction, trainer: Trainer | null): void {
    if (action === 'arm') {
      if (trainer) this.wrap(trainer);
      this.armed = true;
    } else {
      this.armed = false;
      const r = this.release;
      this.release = null;
      r?.();
    }
  }

  private wrap(t: Trainer): void {
    if (this.wrapped.has(t)) return;
    this.wrapped.add(t);
    const real = t.gradient.bind(t);
    t.gradient = async (...a: Parameters<Trainer['gradient']>) => {
      const g = await real(...a);
      if (!this.armed) return g;
      this.armed = false;
      this.onHeld(true);
      await new Promise<void>((resolve) => (this.release = resolve));
      this.onHeld(false);
      return g;
    };
  }
}
