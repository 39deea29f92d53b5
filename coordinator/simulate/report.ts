import { barChart } from '../../bench/svg';
import type { SimulateOptions, SimulationRow } from './types';

/** The simulator's two plots: time to the target accuracy, and bytes through the coordinator, against the class size. */
export function simulationCharts(rows: readonly SimulationRow[], o: SimulateOptions): Record<string, string> {
  const categories = o.laptops.map(String);
  const link = `${o.assumptions.bandwidthMbps} Mbit/s shared link`;
  const series = (f: (r: SimulationRow) => number): { name: string; values: number[] }[] =>
    o.modes.map((m) => ({ name: m, values: o.laptops.map((n) => {
      const r = rows.find((x) => x.mode === m && x.laptops === n);
      return r ? f(r) : Number.NaN;
    }) }));
  return {
    'simulate-time.svg': barChart({ title: `Simulated: time to val acc ${o.target} (${link}; missing bar = not reached)`, yLabel: 'simulated seconds', xLabel: 'laptops', categories, series: series((r) => timeTo(r, o.target) ?? Number.NaN) }),
    'simulate-bytes.svg': barChart({ title: `Simulated: bytes through the coordinator per training sample`, yLabel: 'kB per sample', xLabel: 'laptops', categories, series: series((r) => r.bytesPerSample / 1e3) }),
  };
}

/** Virtual seconds until the run's validation accuracy first reached `acc` (its curve), null if it did not. */
export function timeTo(r: Pick<SimulationRow, 'curve'>, acc: number): number | null {
  return r.curve.find((p) => p[1] >= acc)?.[0] ?? null;
}

/** The class size with the shortest time to `acc` (beyond it, more laptops stop helping). */
export function bestN(rows: readonly SimulationRow[], mode: string, acc?: number): number | null {
  const t = (r: SimulationRow): number | null => (acc === undefined ? r.timeToTarget : timeTo(r, acc));
  const r = rows.filter((x) => x.mode === mode && t(x) !== null).sort((a, b) => t(a)! - t(b)!)[0];
  return r ? r.laptops : null;
}

/**
 * The printed summary: per mode and accuracy (the target and, for a target not
 * reached everywhere, the lower ones on the way), the speed-up of each class
 * size over 1 laptop in the same mode; with several local modes, also local
 * with H chosen per class size (the fastest H at each N, over the fastest at 1).
 */
export function summaryLines(rows: readonly SimulationRow[], o: Pick<SimulateOptions, 'modes' | 'laptops' | 'target'>): string[] {
  const accs = [...new Set([0.9, 0.93, o.target])].filter((x) => x <= o.target).sort();
  const locals = o.modes.filter((m) => m.startsWith('local:'));
  const lines: string[] = [];
  for (const acc of accs) {
    const at = (mode: string, n: number): number | null => {
      const r = rows.find((x) => x.mode === mode && x.laptops === n);
      return r ? timeTo(r, acc) : null;
    };
    const best = (n: number): { t: number; mode: string } | null =>
      locals.map((m) => ({ t: at(m, n), mode: m })).filter((x): x is { t: number; mode: string } => x.t !== null).sort((a, b) => a.t - b.t)[0] ?? null;
    const line = (label: string, one: number | null, f: (n: number) => { t: number | null; note?: string }): string =>
      `simulated, val acc ${acc}, ${label}: ${o.laptops.map((n) => {
        const x = f(n);
        if (!rows.some((r) => r.laptops === n && (r.mode === label || label.startsWith('local, ')))) return `${n}: not run`;
        return `${n}: ${x.t === null ? 'not reached' : `${x.t.toFixed(1)} s${n > 1 && one !== null ? ` (${(one / x.t).toFixed(2)}x)` : ''}`}${x.note ? ` ${x.note}` : ''}`;
      }).join(', ')}`;
    for (const mode of o.modes) lines.push(line(mode, at(mode, 1), (n) => ({ t: at(mode, n) })) + `; fastest at ${bestN(rows, mode, acc) ?? '-'} laptops`);
    if (locals.length > 1) lines.push(line('local, H chosen per class size', best(1)?.t ?? null, (n) => ({ t: best(n)?.t ?? null, note: best(n) ? `[${best(n)!.mode}]` : '' })));
  }
  return lines;
}
