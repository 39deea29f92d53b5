import { describe, expect, it } from 'vitest';
import type { RawDataset } from '../../shared/data/dataset';
import { SYNTHETIC_NAMES, circles, gauss, regression, spiral, syntheticDataset, xor } from '../../shared/data/synthetic';

function classCounts(ds: RawDataset): number[] {
  const c = new Array<number>(ds.numClasses).fill(0);
  for (const l of ds.labels) c[l]!++;
  return c;
}

function points(ds: RawDataset): { x: number; y: number; label: number }[] {
  return Array.from(ds.labels, (label, i) => ({ x: ds.features[2 * i]!, y: ds.features[2 * i + 1]!, label }));
}

describe('synthetic datasets', () => {
  it.each(SYNTHETIC_NAMES)('%s is deterministic by seed', (name) => {
    const a = syntheticDataset(name, { samples: 301, noise: 0.2, seed: 9 });
    const b = syntheticDataset(name, { samples: 301, noise: 0.2, seed: 9 });
    const c = syntheticDataset(name, { samples: 301, noise: 0.2, seed: 10 });
    expect(b.features).toEqual(a.features);
    expect(b.labels).toEqual(a.labels);
    expect(c.features).not.toEqual(a.features);
    expect(a.featureType).toBe('f32');
    expect(a.features.length).toBe(301 * a.inputShape[0]!);
    for (const v of a.features) expect(Number.isFinite(v)).toBe(true);
  });

  it.each(['xor', 'circles', 'spiral', 'gauss'] as const)('%s is a balanced binary set of 2-D points', (name) => {
    const ds = syntheticDataset(name, { samples: 1001, noise: 0.1, seed: 1 });
    expect(ds.task).toBe('classification');
    expect(ds.inputShape).toEqual([2]);
    expect(ds.numClasses).toBe(2);
    expect(classCounts(ds)).toEqual([501, 500]);
    const inRange = Array.from(ds.features).filter((v) => Math.abs(v) <= 1.3).length;
    expect(inRange / ds.features.length).toBeGreaterThan(0.98);
  });

  it('spiral3 has three balanced arms', () => {
    const ds = syntheticDataset('spiral3', { samples: 300, seed: 1 });
    expect(ds.numClasses).toBe(3);
    expect(classCounts(ds)).toEqual([100, 100, 100]);
  });

  it('without noise the shapes are exact', () => {
    for (const p of points(xor({ samples: 400, noise: 0 }))) expect(p.x * p.y > 0 ? 1 : 0).toBe(p.label);
    for (const p of points(circles({ samples: 400, noise: 0 }))) {
      const r = Math.hypot(p.x, p.y);
      if (p.label === 1) expect(r).toBeLessThanOrEqual(0.5 + 1e-6);
      else expect(r >= 0.7 - 1e-6 && r <= 1 + 1e-6).toBe(true);
    }
    for (const p of points(spiral({ samples: 400, noise: 0 }))) expect(Math.hypot(p.x, p.y)).toBeLessThanOrEqual(1 + 1e-6);
    const r = regression({ samples: 200, noise: 0 });
    expect(r.task).toBe('regression');
    expect(r.numClasses).toBe(1);
    for (let i = 0; i < 200; i++) expect(r.labels[i]).toBeCloseTo(Math.sin(3 * r.features[i]!), 5);
  });

  it('gauss blobs sit at (0.5, 0.5) and (-0.5, -0.5)', () => {
    const ps = points(gauss({ samples: 2000, noise: 0, seed: 4 }));
    for (const cls of [0, 1]) {
      const mine = ps.filter((p) => p.label === cls);
      const mx = mine.reduce((s, p) => s + p.x, 0) / mine.length;
      const my = mine.reduce((s, p) => s + p.y, 0) / mine.length;
      const c = cls === 1 ? 0.5 : -0.5;
      expect(Math.abs(mx - c)).toBeLessThan(0.02);
      expect(Math.abs(my - c)).toBeLessThan(0.02);
    }
  });

  it('noise spreads the points', () => {
    const spread = (noise: number): number => {
      const r = regression({ samples: 500, noise, seed: 2 });
      return Array.from(r.labels).reduce((s, y, i) => s + (y - Math.sin(3 * r.features[i]!)) ** 2, 0) / 500;
    };
    expect(spread(0)).toBeLessThan(1e-10);
    expect(Math.sqrt(spread(0.3))).toBeCloseTo(0.3, 1);
  });

  it('refuses bad options with CONFIG_INVALID', () => {
    expect(() => xor({ samples: 1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => circles({ noise: -1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
