/**
 * The volunteer page redraws at most every `ms` milliseconds, with the latest
 * value. A tab reports its state twice per training step (computing, idle),
 * up to ~15 times a second, and each redraw is style, layout and paint work
 * in the browser that also runs the tab's WebGL kernels; a person cannot
 * tell a few redraws a second from one per report. (Measured, 1 tab, MNIST
 * MLP on SwiftShader: this alone did not change the step time; the visible
 * page's cost, a 1.36x longer step than with the page not rendered at all,
 * was its model-view polling, now stopped where the page shows no view:
 * volunteer/main.ts.)
 */
export interface Timers {
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
}

const realTimers: Timers = { now: () => performance.now(), setTimeout: (f, ms) => setTimeout(f, ms) };

export function latestEvery<T>(draw: (value: T) => void, ms: number, timers: Timers = realTimers): (value: T) => void {
  let latest: { value: T } | null = null;
  let scheduled = false;
  let last = -Infinity;
  const flush = (): void => {
    scheduled = false;
    const v = latest;
    latest = null;
    if (!v) return;
    last = timers.now();
    draw(v.value);
  };
  return (value: T): void => {
    latest = { value };
    if (scheduled) return;
    scheduled = true;
    timers.setTimeout(flush, Math.max(0, last + ms - timers.now()));
  };
}

/** Sets an element's text only when it changes: an unchanged write still costs a layout. */
export function putText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
