// Bounded memory (slow: a 1M-row file and a 300 MB line): each load runs in a child process
// whose peak resident set size (getrusage maxRSS) must stay under 300 MB. Rejected rows
// are written to the database a chunk at a time, not held; a line past the line cap is
// skipped to its end and rejected with its length, the other rows load.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { repoRoot } from '../src/embedded.ts';
import type { BatchRow } from '../src/ingest/feed.ts';
import { testDb } from './helpers/db.ts';

const LIMIT_MB = 300;

async function tmpDir(t: Test): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'scoreline-memory-'));
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes pieces to a file, waiting for the stream when it asks to. */
async function writeFile(file: string, pieces: Iterable<string>): Promise<void> {
  const out = fs.createWriteStream(file);
  for (const p of pieces) if (!out.write(p)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function peakLoad(url: string, feed: string, file: string): Promise<{ batch: BatchRow; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/peak-load.ts'), feed, file], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`peak-load exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as { batch: BatchRow; peakRssMb: number });
    });
  });
}

const HEADER = 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\n';

t.test('a 1M-row file whose rows are all rejected: every row kept, peak RSS bounded', async (t) => {
  const { sql, url } = await testDb(t);
  const file = path.join(await tmpDir(t), 'rejected.csv');
  await writeFile(
    file,
    (function* () {
      yield HEADER;
      let block = '';
      for (let i = 0; i < 1_000_000; i++) {
        block += `E0,31/02/2019,Home ${i},Away ${i},1,0,H\n`; // 31 February: rejected
        if (block.length > 1 << 20) {
          yield block;
          block = '';
        }
      }
      yield block;
    })(),
  );
  const { batch, peakRssMb } = await peakLoad(url, 'football_data', file);
  t.match(batch, { status: 'completed', inserted: 0, rejected: 1_000_000 }, 'a million rows rejected, the batch completed');
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from ingest.rejected_row where batch_id = ${batch.batch_id}`;
  t.equal(n?.n, 1_000_000, 'each kept in ingest.rejected_row');
  t.ok(peakRssMb < LIMIT_MB, `peak RSS ${peakRssMb} MB < ${LIMIT_MB} MB`);
});

t.test('a line of 300 MB: rejected with its length, the other rows load, peak RSS bounded', async (t) => {
  const { sql, url } = await testDb(t);
  const file = path.join(await tmpDir(t), 'long-line.csv');
  const size = 300 * 1024 * 1024;
  const piece = 'x'.repeat(1 << 20);
  await writeFile(
    file,
    (function* () {
      yield HEADER;
      yield 'E0,09/08/2019,Liverpool,Norwich,4,1,H\n';
      yield 'E0,10/08/2019,';
      for (let at = 0; at < size; at += piece.length) yield piece;
      yield '\nE0,10/08/2019,West Ham,Man City,0,5,A\n';
    })(),
  );
  const { batch, peakRssMb } = await peakLoad(url, 'football_data', file);
  t.match(batch, { status: 'completed', inserted: 2, rejected: 1 }, 'the two good rows load, the long line is rejected');
  const [r] = await sql<{ line_number: number; reason: string; len: number }[]>`
    select line_number, reason, length(raw) as len from ingest.rejected_row where batch_id = ${batch.batch_id}`;
  t.match(
    r,
    { line_number: 3, reason: `line 3 is ${size + 14} characters long, more than the 16777216 a line may have (skipped to its end)` },
    'the reason gives its length and the cap',
  );
  t.ok(r!.len <= 1000, 'only the start of the line is kept as its raw text');
  t.ok(peakRssMb < LIMIT_MB, `peak RSS ${peakRssMb} MB < ${LIMIT_MB} MB`);
});

t.test('a field past the field cap and a JSON object past the object cap are rejected, reading goes on', async (t) => {
  const { sql, url } = await testDb(t);
  const dir = await tmpDir(t);
  const csv = path.join(dir, 'long-field.csv');
  await writeFile(csv, [
    HEADER,
    `E0,09/08/2019,"${'y'.repeat(9 * 1024 * 1024)}",Norwich,4,1,H\n`,
    'E0,10/08/2019,West Ham,Man City,0,5,A\n',
  ]);
  const { batch } = await peakLoad(url, 'football_data', csv);
  t.match(batch, { inserted: 1, rejected: 1 });
  const [r] = await sql<{ reason: string }[]>`select reason from ingest.rejected_row where batch_id = ${batch.batch_id}`;
  t.match(r?.reason, /^field 3 is 9437184 characters long, more than the 8388608 a field may have$/);

  const json = path.join(dir, 'markets.json');
  const market = (id: string, question: string) =>
    JSON.stringify({
      id,
      question,
      conditionId: `0x${id.slice(-1).repeat(64)}`,
      active: true,
      closed: false,
      outcomes: '["Yes","No"]',
      outcomePrices: '["0.4","0.6"]',
    });
  await writeFile(json, ['[\n', market('701', 'q'.repeat(17 * 1024 * 1024)), ',\n', market('702', 'Fine?'), '\n]\n']);
  const { batch: pm } = await peakLoad(url, 'polymarket_markets', json);
  t.match(pm, { inserted: 1, rejected: 1 });
  const [j] = await sql<{ line_number: number; reason: string; len: number }[]>`
    select line_number, reason, length(raw) as len from ingest.rejected_row where batch_id = ${pm.batch_id}`;
  t.match(j, { line_number: 2, reason: /^the object is \d+ characters long, more than the 16777216 an object may have$/ });
  t.ok(j!.len <= 1000, 'its start kept as its raw text');
});
