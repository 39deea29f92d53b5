import { fail } from '../errors';

/**
 * The ranges an optimizer or schedule setting may take. Each is refused with
 * a message naming the owner, the field and the range, so a person can fix
 * the config without reading this code.
 */
export type SettingRange = '[0, 1)' | '(0, 1]' | '> 0' | '>= 0';

const accepts: Record<SettingRange, (x: number) => boolean> = {
  '[0, 1)': (x) => x >= 0 && x < 1,
  '(0, 1]': (x) => x > 0 && x <= 1,
  '> 0': (x) => x > 0,
  '>= 0': (x) => x >= 0,
};

/** Returns `value` when it is a finite number in `range`, else throws CONFIG_INVALID. */
export function checkSetting(owner: string, field: string, value: unknown, range: SettingRange): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !accepts[range](value)) {
    const isInterval = range.startsWith('[') || range.startsWith('(');
    throw fail('CONFIG_INVALID', `${owner}: ${field} must be a number ${isInterval ? 'in ' : ''}${range}, got ${String(value)}`);
  }
  return value;
}

/** The flat parameter count an optimizer is built for: a whole number. */
export function checkSize(owner: string, size: unknown): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw fail('CONFIG_INVALID', `${owner}: size (the number of parameters) must be a whole number >= 0, got ${String(size)}`);
  }
  return size;
}
