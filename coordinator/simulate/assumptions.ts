/**
 * The time model of `tabtrain simulate`: what a laptop's compute and the
 * classroom link cost, in virtual time. Everything else (the coordinator's
 * ledger, policies and optimizer, the trainer core and so the loss curve) is
 * the real code. Each assumption is printed with the results.
 */
export interface Assumptions {
  /** Per-sample cost of a training forward+backward on a median laptop, ms. */
  msPerSample: number;
  /** Fixed cost of any task (weights in, upload, kernel launches, readback), ms. */
  overheadMs: number;
  /**
   * Fixed cost of each further inner step of a local task, ms: no weights in and no readback, so far below a
   * task's (measured: a 4-step local task of a node peer took about one task's fixed cost plus its samples, not 4).
   */
  innerStepOverheadMs: number;
  /** Slowest laptop / fastest laptop compute time ratio; speeds spread geometrically between them. */
  spread: number;
  /** An evaluation sample costs this fraction of a training sample (forward only). */
  evalFraction: number;
  /** The shared medium (Wi-Fi: one transmission at a time, both directions), Mbit/s. */
  bandwidthMbps: number;
  /** One-way latency per message, ms. */
  latencyMs: number;
  /** Laptops that sleep and come back: sleeps per laptop per hour (0 = none). */
  churnPerHour: number;
  /** How long a sleeping laptop is away, s. */
  sleepSeconds: number;
  /** The laptops share one CPU: every task, fixed part included, queues on it (node peers in one process, one JS thread, as the loopback check runs them). */
  sharedCpu?: boolean;
}

/**
 * Defaults: a WebGL tab's MLP step as the bench measures it (README,
 * "scaling": one tab of plain tfjs at 2664 samples/s for MNIST MLP batch 128,
 * a 48-52 ms step), split into a fixed and a per-sample part by timing the
 * tabtrain trainer in a WebGL (SwiftShader) page at 8, 32 and 128 samples
 * (issue 11, this session; medians of 3 runs, scaled to the idle batch-128
 * step): a gradient task costs ~20 ms + 0.25 ms a sample, and each inner
 * step of a local task ~18 ms + 0.25 ms a sample. A batch-8 step costs about
 * 0.4x a batch-128 one: kernel launches, not arithmetic, dominate a small
 * step (more so on a real GPU). The previous defaults (4 ms a task, 0.5 ms an
 * inner step, 0.38 ms a sample) made the small per-laptop shares of a large
 * class nearly free. Laptops up to 2x apart, and a classroom Wi-Fi of 30
 * Mbit/s of useful airtime shared by everyone with 5 ms latency.
 */
export const CLASSROOM: Assumptions = {
  msPerSample: 0.25,
  overheadMs: 20,
  innerStepOverheadMs: 18,
  spread: 2,
  evalFraction: 0.35,
  bandwidthMbps: 30,
  latencyMs: 5,
  churnPerHour: 0,
  sleepSeconds: 30,
};

/** A switched gigabit LAN (still one link into the coordinator). */
export const WIRED: Pick<Assumptions, 'bandwidthMbps' | 'latencyMs'> = { bandwidthMbps: 940, latencyMs: 0.3 };

/** Laptop i of n: its compute-time factor (1 = median), spread geometrically, fastest first. */
export function speedFactor(i: number, n: number, spread: number): number {
  if (n <= 1) return 1;
  return spread ** (i / (n - 1) - 0.5);
}

export function describeAssumptions(a: Assumptions): string[] {
  return [
    `simulated: laptop compute = ${a.overheadMs} ms per task (+ ${a.innerStepOverheadMs} ms per further inner step of a local task) + ${a.msPerSample} ms per training sample (median laptop; evaluation ${a.evalFraction}x), laptops ${a.spread}x apart slowest to fastest`,
    `simulated: one shared link into the coordinator, ${a.bandwidthMbps} Mbit/s, ${a.latencyMs} ms latency; every byte to and from the coordinator takes its turn on it (half duplex, FIFO)`,
    ...(a.sharedCpu ? ['simulated: every laptop computes on one shared CPU (one thread: each task, fixed part included, waits for the one before)'] : []),
    `simulated: coordinator compute time 0; churn ${a.churnPerHour > 0 ? `${a.churnPerHour} sleeps per laptop per hour, ${a.sleepSeconds} s each` : 'none'}`,
  ];
}
