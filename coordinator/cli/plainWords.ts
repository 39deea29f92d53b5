/**
 * Validation messages in the words a person would use: zod's "Too small:
 * expected number to be >=0" becomes "must be 0 or more". The schema stays
 * the single source of the rules; this only rewords what it reports.
 */
const RULES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Too small: expected number to be >=(\S+)$/, (m) => `must be ${m[1]} or more`],
  [/^Too small: expected number to be >(\S+)$/, (m) => (m[1] === '0' ? 'must be more than 0' : `must be more than ${m[1]}`)],
  [/^Too big: expected number to be <=(\S+)$/, (m) => `must be ${m[1]} or less`],
  [/^Too big: expected number to be <(\S+)$/, (m) => `must be less than ${m[1]}`],
  [/^Too small: expected array to have >=(\d+) items?$/, (m) => (m[1] === '1' ? 'needs at least one value' : `needs ${m[1]} values`)],
  [/^Too big: expected array to have <=(\d+) items?$/, (m) => `takes at most ${m[1]} values`],
  [/^Too small: expected string to have >=1 characters?$/, () => 'must not be empty'],
  [/^Invalid input: expected int, received number$/, () => 'must be a whole number'],
  [/^Invalid input: expected (number|int), received (\w+)$/, () => 'must be a number'],
  [/^Invalid input: expected boolean, received (\w+)$/, () => 'must be true or false'],
  [/^Invalid input: expected string, received (\w+)$/, () => 'must be text'],
  [/^Invalid input: expected array, received (\w+)$/, () => 'must be a list of values (A,B,...)'],
  [/^Invalid option: expected one of (.*)$/, (m) => `must be one of ${m[1]!.replaceAll('"', '').split('|').join(', ')}`],
  [/^Unrecognized keys?: (.*)$/, (m) => `unknown setting ${m[1]} (check its spelling; see tabtrain run --help)`],
];

export function plainWords(message: string): string {
  for (const [re, say] of RULES) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  return message;
}
