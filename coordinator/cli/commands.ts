import { OPTIONS, type OptionSpec } from './options';

/**
 * The commands, what each is for, and which options each takes: `tabtrain
 * COMMAND --help` lists only those, and the parser refuses the others.
 */
export type CommandName = 'run' | 'serve' | 'peer' | 'build' | 'bench' | 'report' | 'compare' | 'sample' | 'simulate';

export interface CommandSpec {
  name: CommandName;
  usage: string;
  summary: string;
  /** Longer explanation printed under the usage line of the command's own help. */
  detail: readonly string[];
  /** Config keys this command accepts. */
  keys: ReadonlySet<string>;
}

const ALL = OPTIONS.map((o) => o.key);
const only = (keys: string[]): ReadonlySet<string> => new Set(keys);
const allBut = (keys: string[]): ReadonlySet<string> => new Set(ALL.filter((k) => !keys.includes(k)));

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'run',
    usage: 'tabtrain run [options]',
    summary: 'train once: start a coordinator, open headless tabs (--peers) and node peers, report, exit',
    detail: ['Starts a coordinator, opens --peers headless Chromium tabs and --node-peers Node peers on this', 'machine, trains, writes the report (and --export), and exits. Volunteers may join too.'],
    keys: allBut(['join', 'exitWhenDone', 'attack']),
  },
  {
    name: 'serve',
    usage: 'tabtrain serve [options]',
    summary: 'a class session: a stable join link and a dashboard; volunteers open the link',
    detail: [
      'Starts a coordinator on port 8475 and waits for volunteers to open the join link (or scan the QR',
      'code on the dashboard). The join link stays the same across runs: start the next run from the',
      "dashboard's setup form, and the students' tabs switch to it by themselves.",
    ],
    keys: allBut(['join', 'peers', 'chromium', 'attack']),
  },
  {
    name: 'peer',
    usage: 'tabtrain peer --join URL [--node-peers N] [--attack KIND]',
    summary: 'Node peers working for a coordinator elsewhere; they reconnect after its restarts',
    detail: ['Runs N Node peers (tfjs cpu, default 1) for the coordinator whose join link is URL.'],
    keys: only(['join', 'nodePeers', 'attack']),
  },
  {
    name: 'compare',
    usage: 'tabtrain compare --config FILE --config FILE [...] [options]',
    summary: 'run several configurations one after the other on the same tabs; one comparison report',
    detail: [
      'Each --config FILE is one run (other options apply to all of them). The runs share one fleet of',
      'tabs; at the end a comparison report (JSON) and plot (SVG) are written next to --report.',
    ],
    keys: allBut(['join', 'exitWhenDone', 'resume', 'attack']),
  },
  {
    name: 'report',
    usage: 'tabtrain report FILE [FILE...] [--port N] [--host ADDRESS]',
    summary: 'open past reports in the comparison view of the dashboard (no training)',
    detail: ['Serves a dashboard page that overlays the curves of the given report.json files.'],
    keys: only(['port', 'host']),
  },
  {
    name: 'sample',
    usage: 'tabtrain sample --model DIR [--prefix TEXT] [--temperature T] [--count N] [--seed S] [--max-chars N]',
    summary: 'text from an exported charrnn model (the same sampling as the dashboard and the volunteer page)',
    detail: [],
    keys: only([]),
  },
  {
    name: 'simulate',
    usage: 'tabtrain simulate [--laptops 1,2,4,...] [--modes sync,async,local:16] [--target ACC] [--wired] [...]',
    summary: 'the classroom simulator: N laptops on a shared link in virtual time (figures labelled simulated)',
    detail: [],
    keys: only([]),
  },
  {
    name: 'build',
    usage: 'tabtrain build',
    summary: 'build the browser bundles (done automatically when stale)',
    detail: [],
    keys: only([]),
  },
  {
    name: 'bench',
    usage: 'tabtrain bench [--quick] [--only ITEM]',
    summary: 'the benchmark suite: writes bench/results/NAME.json, .md and SVG plots',
    detail: [],
    keys: only([]),
  },
];

export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

const GROUPS: Record<OptionSpec['group'], string> = { data: 'Data', model: 'Model', optimizer: 'Optimisation', run: 'Training', fleet: 'Peers', output: 'Server and output' };

function placeholder(o: OptionSpec): string {
  if (o.kind === 'bool') return '';
  if (o.values) return ` ${o.values.join('|')}`;
  if (o.arg) return ` ${o.arg}`;
  if (o.kind === 'ints' || o.kind === 'numbers') return ' N,N,..';
  if (o.kind === 'string') return ' TEXT';
  return o.kind === 'int' ? ' N' : ' X';
}

function optionLines(keys: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  for (const [g, title] of Object.entries(GROUPS)) {
    const opts = OPTIONS.filter((x) => x.group === g && keys.has(x.key));
    if (opts.length === 0) continue;
    lines.push('', `${title}:`);
    for (const o of opts) lines.push(`  --${o.flag}${placeholder(o)}`.padEnd(40) + ` ${o.help}`);
  }
  return lines;
}

/** `tabtrain` or `tabtrain --help`: the commands, one line each. */
export function generalHelp(version: string): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `tabtrain ${version}: train a neural network data-parallel across browser tabs`,
    '',
    'Usage: tabtrain COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Each command has its own help: tabtrain COMMAND --help (e.g. tabtrain run --help).',
    'Quick start: tabtrain run            (MNIST on two headless tabs of this machine)',
    '             tabtrain serve          (a class: students open the join link it prints)',
    '',
    '  --version   print the version',
    '',
    'Exit codes: 0 done, 1 failure, 2 bad options or data.',
  ].join('\n');
}

/** `tabtrain COMMAND --help`: its usage and only its options. */
export function commandHelp(c: CommandSpec): string {
  const lines = [`Usage: ${c.usage}`, '', c.summary, ...(c.detail.length ? ['', ...c.detail] : [])];
  lines.push(...optionLines(c.keys));
  lines.push('', 'Exit codes: 0 done, 1 failure, 2 bad options or data.');
  return lines.join('\n');
}
