import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fail } from '../../shared/errors';
import { rawSampleCount, type DatasetTask, type RawDataset } from '../../shared/data/dataset';

/**
 * A CSV table: a header row of column names, then one sample per line. Every
 * column but the label must be numeric; blank lines are skipped. Fields may
 * be quoted ("a,b" and "say ""hi""") but may not span lines.
 *
 * The label column is named, or given by 0-based index (a name wins over an
 * index when a column is literally called "2"); by default the last column.
 *
 * Task, unless given: classification when any label is not a number, or when
 * every label is an integer and there are at most CLASSIFICATION_MAX_DISTINCT
 * distinct values; regression otherwise. Class names are the distinct values
 * sorted (numerically for numbers), and a label's class is its rank there.
 */
export const CLASSIFICATION_MAX_DISTINCT = 20;

export function loadCsv(file: string, labelColumn?: string | number, task?: DatasetTask): RawDataset {
  return parseCsvDataset(readCsvText(file), basename(file), labelColumn, task);
}

function readCsvText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? e.code : undefined;
    if (code === 'ENOENT') throw fail('DATA_NOT_FOUND', `csv:${file}: file not found`);
    throw fail('DATA_NOT_FOUND', `csv:${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * A training CSV and a separate test CSV (`--test-file`), with the same
 * header. The test rows come last and are marked held out: they are the test
 * split as they are. Classes are numbered over both files, so a class seen
 * only in the test file still gets its own number.
 */
export function loadCsvWithTest(file: string, testFile: string, labelColumn?: string | number, task?: DatasetTask): RawDataset {
  const trainText = readCsvText(file);
  const testText = readCsvText(testFile);
  // Each file alone first, so an error names the right file and line.
  const train = parseCsvDataset(trainText, basename(file), labelColumn, task);
  const test = parseCsvDataset(testText, basename(testFile), labelColumn, task ?? train.task);
  const [trainHeader] = headerAndBody(trainText);
  const [testHeader, testBody] = headerAndBody(testText);
  const a = splitCsvLine(trainHeader, `${basename(file)} header`);
  const b = splitCsvLine(testHeader, `${basename(testFile)} header`);
  if (a.join('\u0000') !== b.join('\u0000')) {
    throw fail('DATA_INVALID', `${basename(testFile)} header: columns ${JSON.stringify(b)} differ from ${basename(file)}'s ${JSON.stringify(a)}`);
  }
  const both = parseCsvDataset(`${trainText.replace(/\s*$/, '')}\n${testBody}`, basename(file), labelColumn, task ?? train.task);
  return { ...both, heldOut: { count: rawSampleCount(test), trainFile: basename(file), testFile: basename(testFile) } };
}

/** The first non-blank line and everything after it. */
function headerAndBody(text: string): [string, string] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const k = lines.findIndex((l) => l.trim() !== '');
  return [lines[k] ?? '', lines.slice(k + 1).join('\n')];
}

interface Row {
  line: number;
  cells: string[];
}

/** Splits one line into fields; `where` prefixes errors ("iris.csv line 7"). */
export function splitCsvLine(line: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let field = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) throw fail('DATA_INVALID', `${where}: quoted field opened at column ${i + 1} is not closed on this line`);
        field += line.slice(j, q);
        if (line[q + 1] === '"') {
          field += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') throw fail('DATA_INVALID', `${where}: unexpected ${JSON.stringify(line[i])} after a quoted field at column ${i + 1}`);
      out.push(field);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function parseNumber(s: string): number | null {
  if (s === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

function resolveLabelColumn(header: string[], label: string | number | undefined, fileName: string): number {
  if (label === undefined) return header.length - 1;
  const byName = typeof label === 'string' ? header.indexOf(label) : -1;
  if (byName >= 0) return byName;
  const index = typeof label === 'number' ? label : /^\d+$/.test(label) ? Number(label) : -1;
  if (Number.isInteger(index) && index >= 0 && index < header.length) return index;
  const columns = header.map((h, k) => `${k}:"${h}"`).join(', ');
  throw fail('DATA_INVALID', `${fileName}: no label column ${JSON.stringify(label)}; columns are ${columns}`);
}

/** The dataset in a CSV text; `fileName` names it in the dataset and in errors. */
export function parseCsvDataset(text: string, fileName: string, labelColumn?: string | number, task?: DatasetTask): RawDataset {
  const rows: Row[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let k = 0; k < lines.length; k++) {
    if (lines[k]!.trim() === '') continue;
    rows.push({ line: k + 1, cells: splitCsvLine(lines[k]!, `${fileName} line ${k + 1}`) });
  }
  const head = rows.shift();
  if (!head) throw fail('DATA_INVALID', `${fileName} line 1: empty file, expected a header row`);
  const header = head.cells;
  if (rows.length === 0) throw fail('DATA_INVALID', `${fileName} line ${head.line + 1}: no data rows after the header`);
  const labelIndex = resolveLabelColumn(header, labelColumn, fileName);
  const featureColumns = header.map((_, k) => k).filter((k) => k !== labelIndex);
  if (featureColumns.length === 0) throw fail('DATA_INVALID', `${fileName} line ${head.line}: only the label column "${header[labelIndex]}"; a feature column is needed`);

  const d = featureColumns.length;
  const features = new Float32Array(rows.length * d);
  const rawLabels: string[] = [];
  rows.forEach((row, r) => {
    if (row.cells.length !== header.length) throw fail('DATA_INVALID', `${fileName} line ${row.line}: ${row.cells.length} fields, the header has ${header.length}`);
    featureColumns.forEach((c, j) => {
      const v = parseNumber(row.cells[c]!);
      if (v === null) throw fail('DATA_INVALID', `${fileName} line ${row.line}, column "${header[c]}": ${JSON.stringify(row.cells[c])} is not a number`);
      features[r * d + j] = v;
    });
    rawLabels.push(row.cells[labelIndex]!);
  });

  const numeric = rawLabels.map(parseNumber);
  const firstNonNumeric = numeric.indexOf(null);
  const distinct = new Set(numeric);
  const inferred: DatasetTask =
    firstNonNumeric >= 0 || (numeric.every((v) => Number.isInteger(v)) && distinct.size <= CLASSIFICATION_MAX_DISTINCT) ? 'classification' : 'regression';
  const chosen = task ?? inferred;
  const base = { name: `csv:${fileName}`, inputShape: [d], featureType: 'f32' as const, features };
  const labelName = header[labelIndex]!;

  if (chosen === 'regression') {
    if (firstNonNumeric >= 0) {
      const row = rows[firstNonNumeric]!;
      throw fail('DATA_INVALID', `${fileName} line ${row.line}, column "${labelName}": ${JSON.stringify(rawLabels[firstNonNumeric])} is not a number (regression needs numeric labels)`);
    }
    return { ...base, task: 'regression', numClasses: 1, labels: Float32Array.from(numeric, (v) => v!) };
  }

  // classes keyed by numeric value when every label is a number ("1" and "1.0" are one class), else by text
  const keys: (string | number)[] = firstNonNumeric >= 0 ? rawLabels : numeric.map((v) => v!);
  const classes = [...new Set(keys)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  if (classes.length > 65536) throw fail('DATA_INVALID', `${fileName}: column "${labelName}" has ${classes.length} distinct labels, at most 65536 classes fit`);
  const rank = new Map(classes.map((c, k) => [c, k]));
  const labels = Uint16Array.from(keys, (k) => rank.get(k)!);
  return { ...base, task: 'classification', numClasses: classes.length, classNames: classes.map(String), labels };
}
