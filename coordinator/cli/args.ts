import { readFileSync } from 'node:fs';
import { fail } from '../../shared/errors';
import { OPTIONS, type OptionSpec } from './options';
import { COMMANDS, commandSpec, type CommandName } from './commands';

/**
 * argv to a config object: every flag is looked up in OPTIONS, its value
 * parsed by kind; a `--config` file is read first and flags override it.
 * Errors name the flag and what it accepts.
 */
export interface ParsedArgs {
  command: CommandName | 'help' | 'version';
  /** `help`: the command whose help was asked for (none: the general help). */
  helpFor?: CommandName;
  input: Record<string, unknown>;
  /** Flags given explicitly (so `serve` can pick its own defaults for the rest). */
  given: Set<string>;
  /** `compare`: one input per --config FILE (flags applied over each). */
  inputs: Record<string, unknown>[];
  /** `report`: the report files named. */
  files: string[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const args = [...argv];
  const given = new Set<string>();
  const empty = { input: {}, given, inputs: [], files: [] };
  if (args.length === 0) return { command: 'help', ...empty };
  if (args[0] === '--version' || args[0] === '-v') return { command: 'version', ...empty };
  if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    const c = args[1] ? commandSpec(args[1]) : undefined;
    return { command: 'help', ...(c ? { helpFor: c.name } : {}), ...empty };
  }
  // Options with no command before them mean `run` (as they always have).
  const c = args[0].startsWith('-') ? 'run' : args.shift()!;
  const spec = commandSpec(c);
  if (!spec) throw fail('CONFIG_INVALID', `unknown command "${c}": use ${COMMANDS.map((x) => x.name).join(', ')} (see tabtrain --help)`);
  const command = spec.name;
  const flags: Record<string, unknown> = {};
  const configFiles: string[] = [];
  const files: string[] = [];
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === '--help' || a === '-h') return { command: 'help', helpFor: command, ...empty };
    if (!a.startsWith('--')) {
      if (command === 'report') {
        files.push(a);
        continue;
      }
      throw fail('CONFIG_INVALID', `unexpected argument "${a}": options start with -- (see tabtrain ${command} --help)`);
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const negated = name.startsWith('no-') && OPTIONS.some((o) => o.flag === name.slice(3) && o.kind === 'bool');
    const spec = OPTIONS.find((o) => o.flag === (negated ? name.slice(3) : name));
    if (!spec) throw fail('CONFIG_INVALID', `unknown option --${name} (see tabtrain ${command} --help)`);
    if (!commandSpecKeys(command).has(spec.key)) throw fail('CONFIG_INVALID', `--${spec.flag} does not apply to tabtrain ${command} (see tabtrain ${command} --help)`);
    if (spec.kind === 'bool') {
      flags[spec.key] = negated ? false : value === undefined ? true : parseBool(spec, value);
    } else {
      if (value === undefined) value = args.shift();
      if (value === undefined) throw fail('CONFIG_INVALID', `--${spec.flag} needs a value${accepted(spec)}`);
      if (spec.key === 'config') configFiles.push(value);
      else flags[spec.key] = parseValue(spec, value);
    }
    given.add(spec.key);
  }
  if (configFiles.length > 1 && command !== 'compare') throw fail('CONFIG_INVALID', `--config: give one file (several are for tabtrain compare)`);
  if (command === 'compare' && configFiles.length < 2) throw fail('CONFIG_INVALID', 'compare: give two or more --config FILE, one per run');
  if (command === 'report' && files.length === 0) throw fail('CONFIG_INVALID', 'report: name one or more report files (tabtrain report runs/*/report.json)');
  const bases = configFiles.map(readConfigFile);
  return { command, input: { ...(bases[0] ?? {}), ...flags }, given, inputs: bases.map((b) => ({ ...b, ...flags })), files };
}

function commandSpecKeys(c: CommandName): ReadonlySet<string> {
  return commandSpec(c)!.keys;
}

function accepted(s: OptionSpec): string {
  return s.values ? ` (one of ${s.values.join(', ')})` : '';
}

function parseBool(s: OptionSpec, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw fail('CONFIG_INVALID', `--${s.flag}: "${v}" is not true or false`);
}

export function parseValue(s: OptionSpec, v: string): unknown {
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
