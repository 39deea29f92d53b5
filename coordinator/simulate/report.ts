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
    'simulate-time.svg': barChart({ title: `Simulated: time to val acc ${o.target} (${link}; missing bar = not reached)`, yLabel: 'simulated seconds', xLabel: 'laptops', categories, series: series((r) => r.timeToTarget ?? Number.NaN) }),
    'simulate-bytes.svg': barChart({ title: `Simulated: bytes through the coordinator per training sample`, yLabel: 'kB per sample', xLabel: 'laptops', categories, series: series((r) => r.bytesPerSample / 1e3) }),
  };
}
