/**
 * The attack x aggregation table: one quick MNIST MLP run (tests/security/fleet.ts, 5 peers:
 * 4 honest node peers + 1 attacker, --steps of 50, default 80) per cell, test accuracy,
 * with the clean run of each rule for reference. Slow (one run per cell):
 *   npx tsx scripts/attack-table.ts [--attacks a,b] [--rules r,s] [--steps N]
 */
import { fleetRun } from '../tests/security/fleet';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const attacks = ['none', ...arg('attacks', 'sign-flip,scale:-100,noise,alie,ipm,liar').split(',')];
const rules = arg('rules', 'mean,clip,median,trimmed:1,krum:1').split(',');
const steps = Number(arg('steps', '80'));
const rows: string[] = [`| attack \\ rule | ${rules.join(' | ')} |`, `|---|${rules.map(() => '---:').join('|')}|`];
for (const attack of attacks) {
  const cells: string[] = [];
  for (const rule of rules) {
    const r = await fleetRun(rule, attack === 'none' ? null : attack, 4, { steps });
    cells.push(r.exit === 'completed' ? r.testAccuracy.toFixed(3) : `${r.exit} (${r.testAccuracy.toFixed(3)})`);
    console.error(`${attack} x ${rule}: ${JSON.stringify(r)}`);
  }
  rows.push(`| ${attack} | ${cells.join(' | ')} |`);
  console.log(rows.at(-1));
}
console.log(['', ...rows].join('\n'));
process.exit(0);
