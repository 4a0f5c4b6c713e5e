import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { readCsv, type CsvRecord } from '../src/ingest/csv.ts';
import { repoRoot } from '../src/embedded.ts';

async function records(input: Readable, maxRecordLines?: number): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsv(input, maxRecordLines ? { maxRecordLines } : {})) out.push(r);
  return out;
}

/** The input cut into chunks of `size` bytes, so that every boundary case is crossed. */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

t.test('BOM, CRLF, quoted fields with quotes and line breaks, blank lines; any chunking', async (t) => {
  const text = '\ufeffname,note,n\r\nA,"say ""hi""",1\r\n\r\nB,"two\r\nlines, one field",2\r\nC,沙田,3\r\n';
  for (const size of [1, 2, 3, 7, 1000]) {
    const rs = await records(chunked(text, size));
    t.same(
      rs,
      [
        { line: 1, header: ['name', 'note', 'n'] },
        { line: 2, raw: 'A,"say ""hi""",1', values: { name: 'A', note: 'say "hi"', n: '1' } },
        { line: 4, raw: 'B,"two\nlines, one field",2', values: { name: 'B', note: 'two\nlines, one field', n: '2' } },
        { line: 6, raw: 'C,沙田,3', values: { name: 'C', note: '沙田', n: '3' } },
      ],
      `chunks of ${size} bytes`,
    );
  }
});

t.test('the racing reader case: quotes, doubled quotes and a byte-order mark', async (t) => {
  // (the case the race demo's own CSV reader was tested with; the demo now loads through the feed and this reader)
  t.same(await records(Readable.from(['\ufeffa,b\r\n"x ""y"", z",2\n'])), [
    { line: 1, header: ['a', 'b'] },
    { line: 2, raw: '"x ""y"", z",2', values: { a: 'x "y", z', b: '2' } },
  ]);
});

t.test('broken records are reported with their line and the reading goes on', async (t) => {
  const text = [
    'a,b,c',
    '1,2,3',
    '4,"never closed,6', // line 3: stray quote
    '7,8,9',
    '10,1"1,12', // line 5: quote inside an unquoted field
    '13,"14"x,15', // line 6: text after a closing quote
    '16,17', // line 7: too few fields
    '18,19,20',
    '21,"22,23', // line 9: stray quote at the end of the file
    '',
  ].join('\n');
  const rs = await records(Readable.from([text]));
  const good = rs.flatMap((r) => ('values' in r ? [r.line] : []));
  const bad = rs.flatMap((r) => ('error' in r ? [[r.line, r.raw, r.error]] : []));
  t.same(good, [2, 4, 8], 'the good records, by line');
  t.same(bad, [
    [3, '4,"never closed,6', 'a quoted field is never closed'],
    [5, '10,1"1,12', 'a quote inside an unquoted field (column 2)'],
    [6, '13,"14"x,15', 'unexpected character "x" after a closing quote (column 2)'],
    [7, '16,17', '2 fields where the header has 3'],
    [9, '21,"22,23', 'a quoted field is never closed'],
  ]);
});

t.test('a stray quote followed by lines without quotes gives up after maxRecordLines', async (t) => {
  const lines = ['a,b', 'x,"open', ...Array.from({ length: 8 }, (_, i) => `r${i},${i}`)];
  const rs = await records(Readable.from([lines.join('\n')]), 5);
  t.same(
    rs.filter((r) => 'error' in r).map((r) => r.line),
    [2],
    'only the line with the stray quote is lost',
  );
  t.equal(rs.filter((r) => 'values' in r).length, 8, 'all the lines after it are read');
});

t.test('the real racing file: byte-order mark, Chinese text, quoted quotes', async (t) => {
  const rs = await records(fs.createReadStream(path.join(repoRoot, 'data', 'hkjc_results_2024-01-01.csv')));
  const header = rs[0];
  t.ok(header && 'header' in header && header.header[0] === 'date', 'the first column is "date", not "\\ufeffdate"');
  t.equal(rs.filter((r) => 'error' in r).length, 0, 'no broken record');
  const runners = rs.flatMap((r) => ('values' in r ? [r.values] : []));
  t.equal(runners.length, 124, '124 runners');
  t.equal(runners[0]?.course, '草地 - "A" 賽道', 'a quoted field with doubled quotes');
});

t.test('any table written as CSV reads back the same (property)', async (t) => {
  const fc = await import('fast-check');
  const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ' ', ',', '"', '\n', '\r\n', '沙', '\t') });
  const quote = (v: string) => (/[",\n\r]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v);
  await fc.assert(
    fc.asyncProperty(
      fc
        .integer({ min: 1, max: 5 })
        .chain((width) => fc.tuple(fc.constant(width), fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 8 }))),
      fc.boolean(),
      fc.integer({ min: 1, max: 9 }),
      async ([width, rows], crlf, chunk) => {
        const header = Array.from({ length: width }, (_, i) => `c${i}`);
        const eol = crlf ? '\r\n' : '\n';
        const text = [header, ...rows].map((r) => r.map(quote).join(',')).join(eol) + eol;
        const rs = await records(chunked(text, chunk), 1000);
        const values = rs.flatMap((r) => ('values' in r ? [header.map((h) => r.values[h])] : []));
        // Line breaks inside quoted fields come back as '\n' (readline splits CRLF and LF alike).
        const expected = rows.map((r) => r.map((v) => v.replace(/\r\n/g, '\n')));
        return rs.every((r) => !('error' in r)) && JSON.stringify(values) === JSON.stringify(expected);
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random tables read back');
});
