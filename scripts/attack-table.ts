/**
 * The attack x aggregation table: one quick MNIST MLP run (tests/security/fleet.ts, 5 peers:
 * 4 honest node peers + 1 attacker, --steps of 50, default 80) per cell, test accuracy,
 * with the clean run of each rule for reference. Then, per attack, the steps until spot checks
 * (--spot-check F, default 0.25, under mean) quarantine the attacker. Slow (one run per cell):
 *   npx tsx scripts/attack-table.ts [--attacks a,b] [--rules r,s] [--steps N] [--spot-check F]
 *   npx tsx scripts/attack-table.ts --rules none     # only the steps-to-detect table
 *   npx tsx scripts/attack-table.ts --alie 2         # 2 of 10 peers attacking with ALIE, per rule
 */
import { fleetRun } from '../tests/security/fleet';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const attacks = ['none', ...arg('attacks', 'sign-flip,scale:-100,noise,alie,ipm,liar').split(',')];
const rules = arg('rules', 'mean,clip,median,trimmed:1,krum:1').split(',').filter((r) => r !== 'none');
const spot = Number(arg('spot-check', '0.25'));
const alie = Number(arg('alie', '0'));
const steps = Number(arg('steps', '80'));
if (alie > 0) {
  // --alie K: K of 10 peers attack with ALIE together (each estimates mean - std from its own gradients).
  const out = [`| ${alie} of 10 alie | ${rules.join(' | ')} |`, `|---|${rules.map(() => '---:').join('|')}|`];
  const clean: string[] = [];
  const bad: string[] = [];
  for (const rule of rules) {
    const c = await fleetRun(rule, null, 10, { steps });
    const r = await fleetRun(rule, 'alie', 10 - alie, { steps }, alie);
    console.error(`alie x${alie} x ${rule}: clean ${c.testAccuracy} attacked ${r.testAccuracy} (${r.exit})`);
    clean.push(c.testAccuracy.toFixed(3));
    bad.push(`${r.testAccuracy.toFixed(3)} (${((r.testAccuracy - c.testAccuracy) * 100).toFixed(1)} pp)`);
  }
  out.push(`| clean (10 honest) | ${clean.join(' | ')} |`, `| ${alie} alie + ${10 - alie} honest | ${bad.join(' | ')} |`);
  console.log(['', ...out].join('\n'));
  process.exit(0);
}
const rows: string[] = [`| attack \\ rule | ${rules.join(' | ')} |`, `|---|${rules.map(() => '---:').join('|')}|`];
for (const attack of rules.length === 0 ? [] : attacks) {
  const cells: string[] = [];
  for (const rule of rules) {
    const r = await fleetRun(rule, attack === 'none' ? null : attack, 4, { steps });
    cells.push(r.exit === 'completed' ? r.testAccuracy.toFixed(3) : `${r.exit} (${r.testAccuracy.toFixed(3)})`);
    console.error(`${attack} x ${rule}: ${JSON.stringify(r)}`);
  }
  rows.push(`| ${attack} | ${cells.join(' | ')} |`);
  console.log(rows.at(-1));
}
if (rules.length > 0) console.log(['', ...rows].join('\n'));
if (spot > 0) {
  // Steps to detect: the attacker's quarantine by spot checks (mean, 4 honest + 1 attacker).
  const det = [`| attack | steps to quarantine (--spot-check ${spot}) | checks failed / passed | honest peers quarantined |`, '|---|---:|---:|---:|'];
  for (const attack of attacks.filter((a) => a !== 'none')) {
    const r = await fleetRun('mean', attack, 4, { steps, spotCheck: spot });
    const q = r.quarantined.find((x) => x.nickname.startsWith('attacker'));
    const c = r.checks[`attacker-${attack}`] ?? { passed: 0, failed: 0 };
    const honestOut = r.quarantined.filter((x) => !x.nickname.startsWith('attacker')).length;
    console.error(`detect ${attack}: ${JSON.stringify({ q, c, spot: r.spot })}`);
    det.push(`| ${attack} | ${q ? `${q.atStep}${/^evaluation/.test(q.reason) ? ' (at the evaluation pass)' : ''}` : `not caught in ${r.steps}`} | ${c.failed} / ${c.passed} | ${honestOut} |`);
    console.log(det.at(-1));
  }
  console.log(['', ...det].join('\n'));
}
process.exit(0);
