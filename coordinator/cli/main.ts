import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../shared/config/parse';
import type { Config } from '../../shared/config/schema';
import { isTabtrainError } from '../../shared/errors';
import { flagFor, parseArgs } from './args';
import { commandHelp, commandSpec, generalHelp } from './commands';
import { plainWords } from './plainWords';
import { runPeers } from './runPeers';
import { runTraining } from './runTraining';
import { ensureClientBundle } from '../server/bundle';

/** Error codes that mean "fix your input": one line, exit code 2. */
const INPUT_CODES = ['CONFIG_INVALID', 'DATA_INVALID', 'DATA_NOT_FOUND', 'MODEL_INVALID', 'CHROMIUM_NOT_FOUND', 'CHECKPOINT_INVALID'];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Validates one run's input with the schema, naming the flag and saying the rule in plain words. */
export function configFrom(input: Record<string, unknown>): Config {
  try {
    return parseConfig(input);
  } catch (e) {
    if (isTabtrainError(e)) {
      const m = /^([^:]+): (.*)$/.exec(e.message);
      if (m) {
        const field = m[1]!.split('.')[0]!;
        const where = field === '(config)' ? '' : `${flagFor(field)}: `;
        throw Object.assign(e, { message: `${where}${plainWords(m[2]!)}` });
      }
    }
    throw e;
  }
}

/**
 * `tabtrain run|serve|peer|compare|report|build|bench`. Exit codes: 0 done,
 * 1 failure, 2 bad options, data or port (with a one-line error naming what to fix).
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    if (argv[0] === 'bench' && !argv.includes('--help')) {
      // The benchmark suite has its own flags (bench/main.ts); loaded only when asked for.
      const { runBench } = await import('../../bench/main');
      return await runBench(argv.slice(1));
    }
    if (argv[0] === 'sample') {
      // Text from an exported character model: its own few flags (coordinator/model/sampleCommand.ts).
      const { runSample } = await import('../model/sampleCommand');
      return await runSample(argv.slice(1));
    }
    if (argv[0] === 'simulate') {
      // The classroom simulator has its own flags (coordinator/simulate/main.ts).
      const { simulateCommand } = await import('../simulate/main');
      return await simulateCommand(argv.slice(1));
    }
    const args = parseArgs(argv);
    if (args.command === 'version') {
      console.log(version());
      return 0;
    }
    if (args.command === 'help') {
      const c = args.helpFor ? commandSpec(args.helpFor) : undefined;
      console.log(c ? commandHelp(c) : generalHelp(version()));
      return 0;
    }
    if (args.command === 'build') {
      const r = await ensureClientBundle(true);
      console.log(`built dist/client in ${(r.ms / 1000).toFixed(1)} s`);
      return 0;
    }
    if (args.command === 'bench' || args.command === 'sample' || args.command === 'simulate') return 0; // dispatched above, with their own flags
    if (args.command === 'report') {
      const { openReports } = await import('./openReports');
      return await openReports(args.files, configFrom({ ...args.input, peers: 0, minPeers: 1, ...(args.given.has('port') ? {} : { port: 0 }) }));
    }
    if (args.command === 'compare') {
      const { runCompare } = await import('./runCompare');
      return await runCompare(args.inputs.map(configFrom));
    }
    const input = { ...args.input };
    if (args.command === 'serve') {
      // A classroom wants a stable link and no tabs of its own.
      if (!args.given.has('port') && input.port === undefined) input.port = 8475;
      input.peers = 0;
    }
    const config = configFrom(input);
    if (args.command === 'peer') return await runPeers(config);
    // `serve --report DIR`: a session folder (a restarted serve pointed at it shows its runs again).
    if (config.report && (config.report.endsWith('/') || (existsSync(config.report) && statSync(config.report).isDirectory()))) config.report = join(config.report, 'report.json');
    if (!config.report) config.report = join('runs', `${new Date().toISOString().replace(/[:.]/g, '-')}`, 'report.json');
    return await runTraining(config, args.command, configFrom);
  } catch (e) {
    const port = portProblem(e);
    if (port) {
      console.error(`tabtrain: ${port}`);
      return 2;
    }
    if (isTabtrainError(e) && INPUT_CODES.includes(e.code)) {
      console.error(`tabtrain: ${e.message}`);
      return 2;
    }
    console.error(`tabtrain: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** A port that cannot be listened on is a setting to change, not a crash. */
function portProblem(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const x = e as Error & { code?: string; port?: number; address?: string };
  if (x.code === 'EADDRINUSE') return `port ${x.port ?? ''} is already in use (another tabtrain serve?): stop it, or pick another with --port N (--port 0 takes any free port)`;
  if (x.code === 'EACCES') return `port ${x.port ?? ''} needs administrator rights: pick one above 1023 with --port N`;
  if (x.code === 'EADDRNOTAVAIL') return `--host ${x.address ?? ''} is not an address of this machine: use 0.0.0.0 (all) or 127.0.0.1 (this machine only)`;
  return null;
}
