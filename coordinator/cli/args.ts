import { readFileSync } from 'node:fs';
import { fail } from '../../shared/errors';
import { OPTIONS, type OptionSpec } from './options';

/**
 * argv to a config object: every flag is looked up in OPTIONS, its value
 * parsed by kind; a `--config` file is read first and flags override it.
 * Errors name the flag and what it accepts.
 */
export interface ParsedArgs {
  command: 'run' | 'serve' | 'build' | 'peer' | 'help';
  input: Record<string, unknown>;
  /** Flags given explicitly (so `serve` can pick its own defaults for the rest). */
  given: Set<string>;
}

const COMMANDS = new Set(['run', 'serve', 'build', 'peer', 'help']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const args = [...argv];
  let command: ParsedArgs['command'] = 'run';
  if (args[0] && !args[0].startsWith('-')) {
    const c = args.shift()!;
    if (!COMMANDS.has(c)) throw fail('CONFIG_INVALID', `unknown command "${c}": use run, serve, peer or build (see --help)`);
    command = c as ParsedArgs['command'];
  }
  const flags: Record<string, unknown> = {};
  const given = new Set<string>();
  let configFile: string | null = null;
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === '--help' || a === '-h') return { command: 'help', input: {}, given };
    if (!a.startsWith('--')) throw fail('CONFIG_INVALID', `unexpected argument "${a}": options start with -- (see --help)`);
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const negated = name.startsWith('no-') && OPTIONS.some((o) => o.flag === name.slice(3) && o.kind === 'bool');
    const spec = OPTIONS.find((o) => o.flag === (negated ? name.slice(3) : name));
    if (!spec) throw fail('CONFIG_INVALID', `unknown option --${name} (see tabtrain --help)`);
    if (spec.kind === 'bool') {
      flags[spec.key] = negated ? false : value === undefined ? true : parseBool(spec, value);
    } else {
      if (value === undefined) value = args.shift();
      if (value === undefined) throw fail('CONFIG_INVALID', `--${spec.flag} needs a value${accepted(spec)}`);
      if (spec.key === 'config') configFile = value;
      else flags[spec.key] = parseValue(spec, value);
    }
    given.add(spec.key);
  }
  const base = configFile ? readConfigFile(configFile) : {};
  return { command, input: { ...base, ...flags }, given };
}

function accepted(s: OptionSpec): string {
  return s.values ? ` (one of ${s.values.join(', ')})` : '';
}

function parseBool(s: OptionSpec, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw fail('CONFIG_INVALID', `--${s.flag}: "${v}" is not true or false`);
}

function parseValue(s: OptionSpec, v: string): unknown {
  if (s.values && !s.values.includes(v)) throw fail('CONFIG_INVALID', `--${s.flag}: "${v}" is not accepted${accepted(s)}`);
  switch (s.kind) {
    case 'string':
      return v;
    case 'int':
    case 'number': {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (s.kind === 'int' && !Number.isInteger(n))) {
        throw fail('CONFIG_INVALID', `--${s.flag}: "${v}" is not ${s.kind === 'int' ? 'a whole number' : 'a number'}`);
      }
      return n;
    }
    case 'ints':
    case 'numbers':
      return v.split(',').map((x) => parseValue({ ...s, kind: s.kind === 'ints' ? 'int' : 'number' }, x.trim()));
    default:
      return v;
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw fail('CONFIG_INVALID', `--config: cannot read ${file}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw fail('CONFIG_INVALID', `--config: ${file} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw fail('CONFIG_INVALID', `--config: ${file} must hold a JSON object`);
  return v as Record<string, unknown>;
}

/** Maps a config field in an error message back to its flag, so errors name what the person typed. */
export function flagFor(key: string): string {
  const o = OPTIONS.find((x) => x.key === key);
  return o ? `--${o.flag}` : key;
}
