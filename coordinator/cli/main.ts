import { join } from 'node:path';
import { parseConfig } from '../../shared/config/parse';
import type { Config } from '../../shared/config/schema';
import { isTabtrainError } from '../../shared/errors';
import { flagFor, parseArgs } from './args';
import { helpText } from './options';
import { runPeers } from './runPeers';
import { runTraining } from './runTraining';
import { ensureClientBundle } from '../server/bundle';

/**
 * `tabtrain run|serve|peer|build`. Exit codes: 0 done, 1 failure, 2 bad options
 * or data (with a one-line error naming what to fix).
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    if (argv[0] === 'bench') {
      // The benchmark suite has its own flags (bench/main.ts); loaded only when asked for.
      const { runBench } = await import('../../bench/main');
      return await runBench(argv.slice(1));
    }
    if (argv[0] === 'simulate') {
      // The classroom simulator has its own flags (coordinator/simulate/main.ts).
      const { simulateCommand } = await import('../simulate/main');
      return await simulateCommand(argv.slice(1));
    }
    const args = parseArgs(argv);
    if (args.command === 'help') {
      console.log(helpText());
      return 0;
    }
    if (args.command === 'build') {
      const r = await ensureClientBundle(true);
      console.log(`built dist/client in ${(r.ms / 1000).toFixed(1)} s`);
      return 0;
    }
    const input = { ...args.input };
    if (args.command === 'serve') {
      // A classroom wants a stable link and no tabs of its own.
      if (!args.given.has('port') && input.port === undefined) input.port = 8475;
      if (!args.given.has('peers') && input.peers === undefined) input.peers = 0;
    }
    let config: Config;
    try {
      config = parseConfig(input);
    } catch (e) {
      if (isTabtrainError(e)) {
        const m = /^([A-Za-z0-9.]+): (.*)$/.exec(e.message);
        if (m) throw Object.assign(e, { message: `${flagFor(m[1]!.split('.')[0]!)}: ${m[2]}` });
      }
      throw e;
    }
    if (args.command === 'peer') return await runPeers(config);
    if (!config.report) config.report = join('runs', `${new Date().toISOString().replace(/[:.]/g, '-')}`, 'report.json');
    return await runTraining(config, args.command);
  } catch (e) {
    if (isTabtrainError(e) && ['CONFIG_INVALID', 'DATA_INVALID', 'DATA_NOT_FOUND', 'MODEL_INVALID', 'CHROMIUM_NOT_FOUND', 'CHECKPOINT_INVALID'].includes(e.code)) {
      console.error(`tabtrain: ${e.message}`);
      return 2;
    }
    console.error(`tabtrain: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
