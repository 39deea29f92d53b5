import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../shared/errors';
import { findChromium } from '../coordinator/peers/chromium';
import { machine, type BenchContext, type ItemResult } from './context';
import { ITEMS, type ItemName } from './items';
import { summaryMarkdown } from './summary';
import { TabBrowser } from './tabs';

/**
 * `tabtrain bench [--quick] [--only a,b] [--name NAME] [--repeats N] [--chromium PATH]`
 *
 * Runs the items in order and writes bench/results/<name>.json,
 * bench/results/<name>.md and bench/results/<name>-<plot>.svg. Every figure is
 * a median over repeats; every comparison is a ratio measured in the same run.
 */
export const RESULTS_DIR = join(import.meta.dirname, 'results');

export interface BenchArgs {
  quick: boolean;
  only: ItemName[];
  name: string;
  repeats: number | null;
  chromium: string | null;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = { quick: false, only: [], name: '', repeats: null, chromium: null };
  const args = [...argv];
  while (args.length) {
    const x = args.shift()!;
    const [flag, inline] = x.includes('=') ? [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)] : [x, undefined];
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined) throw fail('CONFIG_INVALID', `${flag} needs a value`);
      return v;
    };
    if (flag === '--quick') a.quick = true;
    else if (flag === '--only') {
      const names = value().split(',').map((s) => s.trim());
      for (const n of names) if (!(n in ITEMS)) throw fail('CONFIG_INVALID', `--only: "${n}" is not one of ${Object.keys(ITEMS).join(', ')}`);
      a.only = names as ItemName[];
    } else if (flag === '--name') {
      const v = value();
      if (!/^[A-Za-z0-9._-]+$/.test(v)) throw fail('CONFIG_INVALID', '--name: letters, digits, dot, dash and underscore only');
      a.name = v;
    } else if (flag === '--repeats') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 50) throw fail('CONFIG_INVALID', '--repeats: a whole number from 1 to 50');
      a.repeats = n;
    } else if (flag === '--chromium') a.chromium = value();
    else throw fail('CONFIG_INVALID', `bench: unknown option ${flag} (see tabtrain bench --help)`);
  }
  if (!a.name) a.name = a.quick ? 'quick' : 'full';
  return a;
}

export function benchHelp(): string {
  return [
    'tabtrain bench [--quick] [--only ITEMS] [--name NAME] [--repeats N] [--chromium PATH]',
    `  items: ${Object.keys(ITEMS).join(', ')}`,
    '  writes bench/results/NAME.json, NAME.md and NAME-*.svg (NAME defaults to quick or full)',
  ].join('\n');
}

export async function runBench(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(benchHelp());
    return 0;
  }
  const a = parseBenchArgs(argv);
  const names = a.only.length ? a.only : (Object.keys(ITEMS) as ItemName[]).filter((n) => !a.quick || !('inQuick' in ITEMS[n]) || ITEMS[n].inQuick);
  const needsTabs = names.some((n) => ITEMS[n].tabs);
  let browser: Promise<TabBrowser> | null = null;
  const ctx: BenchContext = {
    quick: a.quick,
    repeats: a.repeats ?? (a.quick ? 2 : 3),
    log: (l) => console.log(`[bench] ${l}`),
    chromium: needsTabs ? findChromium(a.chromium ?? undefined) : null,
    tabBrowser: async () => {
      // Relaunched if an earlier item's failure took it down.
      if (browser && !(await browser.then((b) => b.connected, () => false))) browser = null;
      return (browser ??= TabBrowser.launch(ctx.chromium!, ctx.log));
    },
  };
  const m = machine();
  ctx.log(`${a.quick ? 'quick' : 'full'} run "${a.name}": ${names.join(', ')} on ${m.cores} cores (${m.cpu}), node ${m.node}`);
  const started = new Date();
  const results: Partial<Record<ItemName, ItemResult & { seconds: number }>> = {};
  for (const n of names) {
    const t0 = performance.now();
    ctx.log(`--- ${n}: ${ITEMS[n].title}`);
    try {
      const r = await ITEMS[n].run(ctx);
      results[n] = { ...r, seconds: (performance.now() - t0) / 1000 };
    } catch (e) {
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      ctx.log(`${n} failed: ${msg}`);
      results[n] = { data: { error: msg }, markdown: `**Failed:** \`${msg.split('\n')[0]}\``, svgs: {}, headline: [], seconds: (performance.now() - t0) / 1000 };
    }
    ctx.log(`${n} took ${results[n]!.seconds.toFixed(0)} s`);
  }
  if (browser) await (browser as Promise<TabBrowser>).then((b) => b.close(), () => undefined);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const svgFiles: Record<string, string> = {};
  for (const r of Object.values(results)) {
    for (const [k, svg] of Object.entries(r.svgs)) {
      const file = `${a.name}-${k}.svg`;
      writeFileSync(join(RESULTS_DIR, file), svg);
      svgFiles[k] = file;
    }
  }
  const json = {
    name: a.name,
    quick: a.quick,
    repeats: ctx.repeats,
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    machine: m,
    loadAverageAtEnd: machine().loadAverage,
    items: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { seconds: r.seconds, headline: r.headline, ...r.data }])),
  };
  writeFileSync(join(RESULTS_DIR, `${a.name}.json`), JSON.stringify(json, null, 1));
  writeFileSync(join(RESULTS_DIR, `${a.name}.md`), summaryMarkdown(a.name, json, results, svgFiles));
  ctx.log(`wrote bench/results/${a.name}.json, ${a.name}.md and ${Object.keys(svgFiles).length} plots in ${json.seconds.toFixed(0)} s`);
  return Object.values(results).some((r) => 'error' in r.data) ? 1 : 0;
}
