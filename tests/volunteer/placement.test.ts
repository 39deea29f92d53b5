import { describe, expect, it } from 'vitest';
import { placement, type Capabilities } from '../../client/volunteer/peerHost';

const modern: Capabilities = { workers: true, workerWebGL: true, pageWebGL: true };

describe('where a volunteer tab computes', () => {
  it('uses a Web Worker with WebGL wherever the browser has OffscreenCanvas WebGL', () => {
    expect(placement(null, modern)).toMatchObject({ where: 'worker' });
    expect(placement('1', modern).why).toMatch(/keeps its speed when this tab is hidden/);
  });

  it('computes in the page when the link asks for it', () => {
    for (const asked of ['0', 'page']) expect(placement(asked, modern)).toMatchObject({ where: 'page', why: expect.stringMatching(/as the link asks/) });
  });

  it('prefers WebGL in the page over wasm in a worker, and says what that costs', () => {
    const p = placement(null, { workers: true, workerWebGL: false, pageWebGL: true });
    expect(p.where).toBe('page');
    expect(p.why).toMatch(/no WebGL in workers.*slows down when this tab is hidden/);
  });

  it('keeps the worker when WebGL is nowhere, or when the link asks for wasm or cpu', () => {
    expect(placement(null, { workers: true, workerWebGL: false, pageWebGL: false }).where).toBe('worker');
    expect(placement(null, { workers: true, workerWebGL: false, pageWebGL: true }, 'wasm').where).toBe('worker');
  });

  it('falls back to the page where there are no workers', () => {
    expect(placement(null, { workers: false, workerWebGL: false, pageWebGL: true })).toMatchObject({ where: 'page', why: expect.stringMatching(/no Web Workers/) });
  });
});
