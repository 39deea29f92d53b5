import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsv, splitCsvLine } from '../../coordinator/datasets/csv';
import { TabtrainError } from '../../shared/errors';

const root = mkdtempSync(join(tmpdir(), 'tabtrain-csv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(root, name);
  writeFileSync(p, text);
  return p;
}

function thrown(f: () => unknown): TabtrainError {
  try {
    f();
  } catch (e) {
    if (e instanceof TabtrainError) return e;
    throw e;
  }
  throw new Error('expected a TabtrainError');
}

const IRIS = ['sepal,petal,species', '5.1,1.4,setosa', '7.0,4.7,versicolor', '', '6.3,6.0,virginica', '4.9,1.4,setosa', ''].join('\n');

describe('CSV loader', () => {
  it('string labels: classification, classes sorted, features f32', () => {
    const ds = loadCsv(file('iris.csv', IRIS), 'species');
    expect(ds.name).toBe('csv:iris.csv');
    expect(ds.task).toBe('classification');
    expect(ds.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 0]);
    expect(ds.inputShape).toEqual([2]);
    expect(Array.from(ds.features)).toEqual([5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4].map(Math.fround));
  });

  it('label by index, default last column, CRLF and quoted fields', () => {
    const text = 'y,"a, b",c\r\n1.5,"2",3\r\n2.5,4,"5"\r\n';
    const byIndex = loadCsv(file('q.csv', text), 0);
    expect(byIndex.task).toBe('regression');
    expect(Array.from(byIndex.labels)).toEqual([1.5, 2.5]);
    expect(Array.from(byIndex.features)).toEqual([2, 3, 4, 5]);
    expect(loadCsv(file('q2.csv', text), '0').labels).toEqual(byIndex.labels);
    const last = loadCsv(file('q3.csv', text));
    expect(Array.from(last.labels)).toEqual([0, 1]); // labels 3 and 5: integers, few distinct
    expect(last.classNames).toEqual(['3', '5']);
    expect(splitCsvLine('"say ""hi""", x ,', 'l')).toEqual(['say "hi"', 'x', '']);
  });

  it('integer labels: classification up to 20 distinct values, numeric order; override by task', () => {
    const few = ['x,y', ...Array.from({ length: 30 }, (_, i) => `${i},${(i * 7) % 12}`)].join('\n');
    const a = loadCsv(file('few.csv', few), 'y');
    expect(a.task).toBe('classification');
    expect(a.numClasses).toBe(12);
    expect(a.classNames!.slice(0, 3)).toEqual(['0', '1', '2']);
    expect(a.classNames![10]).toBe('10'); // numeric, not "10" < "2"
    expect(loadCsv(file('few2.csv', few), 'y', 'regression').task).toBe('regression');
    const many = ['x,y', ...Array.from({ length: 30 }, (_, i) => `${i},${i * 3}`)].join('\n');
    expect(loadCsv(file('many.csv', many), 'y').task).toBe('regression');
    const floats = ['x,y', '1,0.5', '2,1.5'].join('\n');
    expect(loadCsv(file('fl.csv', floats), 'y').task).toBe('regression');
  });

  it('non-numeric cell: names the file, line and column', () => {
    const p = file('bad.csv', 'sepal,petal,species\n5.1,1.4,setosa\n\n6.3,abc,virginica\n');
    const e = thrown(() => loadCsv(p, 'species'));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toBe('bad.csv line 4, column "petal": "abc" is not a number');
    const empty = thrown(() => loadCsv(file('empty-cell.csv', 'a,b\n,1\n'), 'b'));
    expect(empty.message).toBe('empty-cell.csv line 2, column "a": "" is not a number');
    const forced = thrown(() => loadCsv(file('forced.csv', IRIS), 'species', 'regression'));
    expect(forced.message).toContain('forced.csv line 2, column "species": "setosa" is not a number');
  });

  it('missing label column: names the file and lists the columns', () => {
    const e = thrown(() => loadCsv(file('nolabel.csv', IRIS), 'class'));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toContain('nolabel.csv');
    expect(e.message).toContain('"class"');
    expect(e.message).toContain('0:"sepal", 1:"petal", 2:"species"');
    expect(thrown(() => loadCsv(file('nolabel2.csv', IRIS), 3)).message).toContain('no label column 3');
  });

  it('ragged rows and broken quotes: names the line', () => {
    const e = thrown(() => loadCsv(file('ragged.csv', 'a,b,c\n1,2,3\n4,5\n'), 'c'));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toBe('ragged.csv line 3: 2 fields, the header has 3');
    const q = thrown(() => loadCsv(file('quote.csv', 'a,b\n1,"2\n'), 'b'));
    expect(q.message).toContain('quote.csv line 2: quoted field');
  });

  it('a missing file is DATA_NOT_FOUND; an empty one is DATA_INVALID', () => {
    expect(thrown(() => loadCsv(join(root, 'nope.csv'))).code).toBe('DATA_NOT_FOUND');
    expect(thrown(() => loadCsv(file('hdr.csv', 'a,b\n'))).message).toContain('hdr.csv line 2: no data rows');
  });
});
