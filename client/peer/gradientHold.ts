import type { HoldAction } from './hostMessages';
import type { GradientReadyEvent, PeerTrace } from './trace';

/**
 * A test hook that makes this peer a slow laptop on demand, through the
 * session's trace (trace.ts), not by patching the trainer: once armed, the
 * next training gradient is computed and then held back (the page still says
 * "computing") until released; e2e/elastic.spec.ts closes a tab while it
 * holds a shard.
 */
export class GradientHold implements PeerTrace {
  private armed = false;
  private release: (() => void) | null = null;

  constructor(private readonly onHeld: (held: boolean) => void) {}

  act(action: HoldAction): void {
    if (action === 'arm') {
      this.armed = true;
      return;
    }
    this.armed = false;
    const r = this.release;
    this.release = null;
    r?.();
  }

  gradientReady(_e: GradientReadyEvent): Promise<void> | void {
    if (!this.armed) return;
    this.armed = false;
    this.onHeld(true);
    return new Promise<void>((resolve) => {
      this.release = () => {
        this.onHeld(false);
        resolve();
      };
    });
  }
}
