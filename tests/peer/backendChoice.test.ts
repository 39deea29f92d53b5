import { describe, expect, it } from 'vitest';
import { candidates, decide, shardMs, type Capabilities, type Timing } from '../../client/peer/backendChoice';

const all: Capabilities = { webgl: { ok: true }, webgpu: { ok: true }, wasm: { ok: true }, cpu: { ok: true } };
const noGpu: Capabilities = { webgl: { ok: true }, webgpu: { ok: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' }, wasm: { ok: true }, cpu: { ok: true } };

describe('backend choice from measured timings', () => {
  it('works out a shard time from the fitted cost: overhead + n / speed', () => {
    // 10 ms fixed + 64 samples at 3200/s (20 ms) = 30 ms.
    expect(shardMs({ samplesPerSec: 3200, overheadMs: 10 }, 64)).toBe(30);
  });

  it('keeps the fastest at the shard size the tab expects, not the one with the best per-sample speed', () => {
    // webgpu: 20 ms + n/10000/s; webgl: 5 ms + n/4000/s. At 32 samples webgl 13 ms < webgpu 23.2 ms; at 512, webgpu 71.2 < webgl 133.
    const t: Timing[] = [
      { backend: 'webgl', samplesPerSec: 4000, overheadMs: 5 },
      { backend: 'webgpu', samplesPerSec: 10000, overheadMs: 20 },
      { backend: 'wasm', samplesPerSec: 1000, overheadMs: 1 },
      { backend: 'cpu', samplesPerSec: 200, overheadMs: 0 },
    ];
    expect(decide(t, all, 32).backend).toBe('webgl');
    expect(decide(t, all, 512).backend).toBe('webgpu');
    // A tiny model where wasm wins outright.
    expect(decide(t, all, 4).backend).toBe('wasm'); // wasm 5 ms, webgl 6 ms
    const d = decide(t, all, 32);
    expect(d.msAt).toEqual({ webgl: 13, webgpu: 23.2, wasm: 33, cpu: 160 });
    expect(d.note).toBe('per shard of 32: webgl 13 ms (kept, fastest), webgpu 23 ms, wasm 33 ms, cpu 160 ms');
  });

  it('skips a backend that failed on the model (wasm has no conv backprop) and says why', () => {
    const t: Timing[] = [
      { backend: 'webgl', samplesPerSec: 500, overheadMs: 30 },
      { backend: 'wasm', error: "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" },
      { backend: 'cpu', samplesPerSec: 100, overheadMs: 0 },
    ];
    const d = decide(t, noGpu, 64);
    expect(d.backend).toBe('webgl');
    expect(d.note).toContain("wasm failed (Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm')");
    expect(d.note).toContain('webgpu missing (this browser has no WebGPU (navigator.gpu is missing))');
  });

  it('ties go to the earlier backend (webgl before webgpu)', () => {
    const t: Timing[] = [
      { backend: 'webgpu', samplesPerSec: 1000, overheadMs: 0 },
      { backend: 'webgl', samplesPerSec: 1000, overheadMs: 0 },
    ];
    expect(decide(t, all, 64).backend).toBe('webgl');
  });

  it('a forced backend is the only candidate; one this context lacks leaves none', () => {
    expect(candidates(all, 'webgpu')).toEqual(['webgpu']);
    expect(candidates(noGpu, 'webgpu')).toEqual([]);
    expect(candidates(noGpu, null)).toEqual(['webgl', 'wasm', 'cpu']);
    const d = decide([{ backend: 'webgpu', samplesPerSec: 100, overheadMs: 0 }], all, 10, 'webgpu');
    expect(d.note).toBe('per shard of 10: webgpu 100 ms (kept, as ?backend=webgpu asks), webgl not tried (?backend=webgpu), wasm not tried (?backend=webgpu), cpu not tried (?backend=webgpu)');
  });

  it('refuses to choose when nothing ran, naming each reason', () => {
    expect(() => decide([{ backend: 'wasm', error: 'no kernel' }], { webgl: { ok: false, reason: 'no WebGL2 context' }, wasm: { ok: true } }, 8)).toThrow(
      'no tfjs backend could run this model here: webgl missing (no WebGL2 context); wasm failed (no kernel)',
    );
  });
});
