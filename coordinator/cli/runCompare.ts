import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { lineChart } from '../../bench/svg';
import type { Config } from '../../shared/config/schema';
import { summarize, type ReportLike, type RunSummary } from '../session/runSummary';
import { trainOnce, type Fleet } from './runTraining';

/**
 * `tabtrain compare --config a.json --config b.json ...`: the runs one after
 * the other on the same fleet (the tabs stay open and reconnect, like a
 * class session), each with its own report, then one comparison report
 * (comparison.json: settings, results and curves of every run) and plots
 * (comparison-loss.svg, comparison-accuracy.svg) in the folder of the first
 * --report (default runs/compare-<time>/).
 */
export async function runCompare(configs: Config[]): Promise<number> {
  const log = (l: string): void => console.log(l);
  const dir = configs[0]!.report ? dirname(configs[0]!.report) : join('runs', `compare-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const fleet: Fleet = { nodePeers: null, tabs: null };
  const summaries: RunSummary[] = [];
  let tokens: { joinToken: string; adminToken: string } | undefined;
  let port: number | undefined;
  let code = 0;
  for (let i = 0; i < configs.length; i++) {
    const cfg: Config = { ...configs[i]!, report: join(dir, `run-${i + 1}`, 'report.json'), ...(port !== undefined ? { port } : {}) };
    log(`compare: run ${i + 1} of ${configs.length}`);
    const r = await trainOnce(cfg, 'run', log, null, i + 1, fleet, tokens, i < configs.length - 1);
    summaries.push(summarize(i + 1, r.report as unknown as ReportLike));
    tokens = r.tokens;
    port = r.port;
    code = Math.max(code, r.code);
    if (r.interrupted) break;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'comparison.json'), JSON.stringify({ runs: summaries }, null, 2));
  writeFileSync(join(dir, 'comparison-loss.svg'), lineChart({ title: 'Training loss per step', yLabel: 'loss', xLabel: 'step', series: summaries.map((s) => ({ name: s.label, points: s.loss.map(([step, , l]) => [step, l]) })) }));
  writeFileSync(
    join(dir, 'comparison-accuracy.svg'),
    lineChart({ title: 'Validation accuracy per epoch', yLabel: 'accuracy', xLabel: 'epoch', yMax: 1, series: summaries.map((s) => ({ name: s.label, points: s.valAccuracy.filter((v) => v[2] !== null).map(([e, , a]) => [e, a!]) })) }),
  );
  log('compare:');
  for (const s of summaries) log(`  ${s.label}: test accuracy ${s.testAccuracy === null ? '-' : s.testAccuracy.toFixed(4)}, ${s.steps} steps in ${s.wallSeconds.toFixed(0)} s, ${s.samplesPerSec} samples/s`);
  log(`comparison: ${join(dir, 'comparison.json')} (+ comparison-loss.svg, comparison-accuracy.svg)`);
  return code;
}
