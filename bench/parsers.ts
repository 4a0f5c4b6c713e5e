// `make bench-parsers` (node --import=tsx bench/parsers.ts): the feeds' own streaming readers
// (src/ingest/csv.ts, src/ingest/json.ts) against the libraries that do the same job —
// csv-parse for CSV, @streamparser/json and stream-json for JSON pages — on the same
// bytes in the same run, and appends the figures to bench/RESULTS.md. The inputs are
// made from real files: the 2019-20 Premier League season (football-data.co.uk, 106
// columns) repeated to about 50 MB, and a Polymarket-shaped page of 200,000 market
// objects in the `{"markets": [...], "cursor": …}` form the markets feed reads.
//
// The libraries are asked for the least they must do to stand in for ours: records with
// their fields by header name (csv-parse `columns`, `relax_column_count`, `bom`, `info`
// for line numbers), and each market object of the page (@streamparser/json with
// `paths: ['$.markets.*']`; stream-json over the array alone, since its StreamArray reads
// a root array). Neither JSON library gives the raw text of a bad object, which the
// feeds keep with every rejected row, so a replacement would also need that added.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JSONParser } from '@streamparser/json-node';
import { parse } from 'csv-parse';
import streamArray from 'stream-json/streamers/stream-array.js';
import { repoRoot } from '../src/embedded.ts';
import { readCsv } from '../src/ingest/csv.ts';
import { readJsonObjects } from '../src/ingest/json.ts';

const REPEATS = 3;

interface Input {
  file: string;
  bytes: number;
}

async function csvInput(dir: string): Promise<Input> {
  const lines = (await fsp.readFile(path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv'), 'utf8'))
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const file = path.join(dir, 'season-repeated.csv');
  const body = `${lines.slice(1).join('\n')}\n`;
  const out = fs.createWriteStream(file);
  out.write(`${lines[0]}\n`);
  for (let written = 0; written < 50e6; written += body.length) out.write(body);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { file, bytes: fs.statSync(file).size };
}

async function jsonInputs(dir: string): Promise<{ page: Input; array: Input }> {
  const market = (i: number) => ({
    id: String(500 + i),
    question: `Will team ${i % 400} win the ${2000 + (i % 25)} league?`,
    conditionId: `0x${i.toString(16).padStart(64, '0')}`,
    slug: `team-${i}-league`,
    endDate: '2025-05-25T15:00:00Z',
    active: true,
    closed: i % 3 === 0,
    outcomes: '["Yes","No"]',
    outcomePrices: '["0.41","0.59"]',
  });
  const objects: string[] = [];
  for (let i = 0; i < 200_000; i++) objects.push(JSON.stringify(market(i), null, 2));
  const array = `[\n${objects.join(',\n')}\n]\n`;
  const pageFile = path.join(dir, 'markets-page.json');
  const arrayFile = path.join(dir, 'markets-array.json');
  await fsp.writeFile(pageFile, `{"markets": ${array}, "cursor": "MTAwMDA="}\n`);
  await fsp.writeFile(arrayFile, array);
  return { page: { file: pageFile, bytes: fs.statSync(pageFile).size }, array: { file: arrayFile, bytes: fs.statSync(arrayFile).size } };
}

/** The best of REPEATS runs, in milliseconds, and the records the reader produced. */
async function best(read: () => Promise<number>): Promise<{ ms: number; records: number }> {
  let ms = Infinity;
  let records = 0;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    records = await read();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, records };
}

async function count(stream: AsyncIterable<unknown>, keep: (r: unknown) => boolean = () => true): Promise<number> {
  let n = 0;
  for await (const r of stream) if (keep(r)) n++;
  return n;
}

interface Row {
  format: string;
  reader: string;
  records: number;
  ms: number;
  mbps: number;
}

async function main(): Promise<void> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'scoreline-parsers-'));
  try {
    const csv = await csvInput(dir);
    const { page, array } = await jsonInputs(dir);
    const rows: Row[] = [];
    const add = (format: string, reader: string, input: Input, r: { ms: number; records: number }) => {
      rows.push({ format, reader, records: r.records, ms: r.ms, mbps: input.bytes / 1e6 / (r.ms / 1000) });
      process.stderr.write(`${format} ${reader}: ${r.records} records in ${r.ms.toFixed(0)} ms\n`);
    };
    add(
      'CSV',
      'scoreline (src/ingest/csv.ts, ragged)',
      csv,
      await best(() =>
        count(readCsv(fs.createReadStream(csv.file), { ragged: true, windows1252Fallback: true }), (r) => 'values' in (r as object)),
      ),
    );
    add(
      'CSV',
      'csv-parse',
      csv,
      await best(() =>
        count(fs.createReadStream(csv.file).pipe(parse({ columns: true, relax_column_count: true, bom: true, info: true }))),
      ),
    );
    add(
      'JSON',
      'scoreline (src/ingest/json.ts)',
      page,
      await best(() => count(readJsonObjects(fs.createReadStream(page.file)), (r) => 'value' in (r as object))),
    );
    add(
      'JSON',
      '@streamparser/json',
      page,
      await best(() => count(fs.createReadStream(page.file).pipe(new JSONParser({ paths: ['$.markets.*'], keepStack: false })))),
    );
    add(
      'JSON',
      'stream-json (root array only)',
      array,
      await best(() => count(fs.createReadStream(array.file).pipe(streamArray.withParserAsStream()))),
    );

    const ours = (format: string) => rows.find((r) => r.format === format && r.reader.startsWith('scoreline'))!;
    const lines = [
      '',
      `## Streaming readers against the libraries (bench/parsers.ts), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `Node.js ${process.version}, ${os.cpus().length} cores; best of ${REPEATS} runs each. CSV: ${(csv.bytes / 1e6).toFixed(0)} MB (the 2019-20 Premier League file repeated); JSON: a ${(page.bytes / 1e6).toFixed(0)} MB page of 200,000 market objects. Ratio: the library's time over ours (above 1: ours is faster).`,
      '',
      '| format | reader | records | time | MB/s | time / ours |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.format} | ${r.reader} | ${r.records.toLocaleString('en')} | ${r.ms.toFixed(0)} ms | ${r.mbps.toFixed(1)} | ${(r.ms / ours(r.format).ms).toFixed(2)}x |`,
      ),
      '',
    ];
    await fsp.appendFile(path.join(repoRoot, 'bench', 'RESULTS.md'), lines.join('\n'));
    process.stdout.write(`${lines.join('\n')}\nappended to bench/RESULTS.md\n`);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

await main();
