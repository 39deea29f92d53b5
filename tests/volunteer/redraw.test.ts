import { describe, expect, it } from 'vitest';
import { latestEvery, type Timers } from '../../client/volunteer/redraw';

/** A virtual clock: timers fire when the test advances time. */
function virtualTimers(): Timers & { advance(ms: number): void } {
  let t = 0;
  let queue: { at: number; f: () => void }[] = [];
  return {
    now: () => t,
    setTimeout(f, ms) {
      queue.push({ at: t + ms, f });
      return queue.length;
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const next = queue.filter((q) => q.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        queue = queue.filter((q) => q !== next);
        t = next.at;
        next.f();
      }
      t = end;
    },
  };
}

describe('the volunteer page redraws a few times a second, with the latest state', () => {
  it('draws at most once per interval, always the newest value, and the last value is never lost', () => {
    const timers = virtualTimers();
    const drawn: number[] = [];
    const show = latestEvery((v: number) => drawn.push(v), 250, timers);
    // A tab at ~14 state reports a second (computing/idle twice per 140 ms step) for 2 s.
    for (let k = 0; k < 28; k++) {
      show(k);
      timers.advance(70);
    }
    timers.advance(1000);
    expect(drawn.length).toBeLessThanOrEqual(2000 / 250 + 1);
    expect(drawn.at(-1)).toBe(27);
    expect([...drawn].sort((a, b) => a - b)).toEqual(drawn);
    // A report after a quiet spell is drawn at once.
    show(99);
    timers.advance(0);
    expect(drawn.at(-1)).toBe(99);
  });
});
