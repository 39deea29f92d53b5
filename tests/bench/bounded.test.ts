import { afterEach, describe, expect, it, vi } from 'vitest';
import { bounded } from '../../bench/bounded';

describe('bounded (a bench close that hangs is reported, not waited on)', () => {
  afterEach(() => vi.useRealTimers());

  it('rejects naming what hung once the bound passes', async () => {
    vi.useFakeTimers();
    const never = new Promise<void>(() => undefined);
    const r = bounded("closing the 2-tab run's tabs", never, 20_000);
    const seen = expect(r).rejects.toThrow("closing the 2-tab run's tabs hung for more than 20 s");
    await vi.advanceTimersByTimeAsync(20_001);
    await seen;
  });

  it('passes through a close that finishes in time, and its failure', async () => {
    vi.useFakeTimers();
    await expect(bounded('x', Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(bounded('x', Promise.reject(new Error('gone')), 1000)).rejects.toThrow('gone');
    expect(vi.getTimerCount()).toBe(0);
  });
});
