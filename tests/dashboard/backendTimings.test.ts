import { describe, expect, it } from 'vitest';
import { backendTimings } from '../../client/dashboard/peersTable';
import { decide } from '../../client/peer/backendChoice';

describe('the peers table shows the timings each tab measured at warm-up', () => {
  it('one short line from the tab’s own note; nothing when only one backend was timed', () => {
    const d = decide(
      [
        { backend: 'webgl', samplesPerSec: 2000, overheadMs: 4 },
        { backend: 'webgpu', samplesPerSec: 200, overheadMs: 20 },
      ],
      { webgl: { ok: true }, webgpu: { ok: true }, wasm: { ok: false, reason: 'no SIMD' } },
      43,
    );
    expect(d.backend).toBe('webgl');
    expect(backendTimings(d.note)).toBe('<br><small class="timings">webgl 26 · webgpu 235 ms / 43</small>');
    expect(backendTimings('webgl: the only backend to try here; in a Web Worker')).toBe('');
  });
});
