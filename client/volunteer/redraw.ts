/**
 * The volunteer page redraws at most every `ms` milliseconds, with the latest
 * value. A tab reports its state twice per training step (computing, idle),
 * up to ~15 times a second; each redraw of the page is style, layout and
 * paint work for the same GPU process that runs the tab's WebGL kernels.
 * Measured on SwiftShader (1 tab, MNIST MLP, batch 128): the step took 0.77x
 * as long with the page not painting at all, so the page paints a few times a
 * second instead, which a person cannot tell from every step.
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
