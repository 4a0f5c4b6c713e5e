// Hostile files through `scoreline ingest` (a real process): malformed UTF-8, NUL bytes,
// injection strings, NaN / Infinity / 1e309 / negative numbers, far-away dates, a 2 MB
// field, duplicate JSON keys, deep nesting. Bad rows are kept in ingest.rejected_row with
// their reason, good rows load, the process exits normally and the victim tables exist.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { ingestResult } from './helpers/cli.ts';
import { testDb } from './helpers/db.ts';
import { victimCounts } from './fixtures/hostile/corpus.ts';

const FIXTURE = path.join(repoRoot, 'test/fixtures/hostile/nfl_games.csv');

function ingest(url: string, feed: string, file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'ingest', feed, file, '--show-rejected'], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function tmpFile(t: Test, name: string, content: string | Buffer): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-hostile-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  await fs.writeFile(file, content);
  return file;
}

t.test('nfl_games: a hostile CSV', async (t) => {
  const { sql, url } = await testDb(t);
  const big = Buffer.concat([
    await fs.readFile(FIXTURE),
    Buffer.from('\n2024_01_WAS_TB,2024,REG,1,2024-09-08,16:25,WAS,20,TB,37,' + 'A'.repeat(2_000_000) + '\n'),
  ]);
  const file = await tmpFile(t, 'nfl_games.csv', big);
  const before = await victimCounts(sql);
  const run = await ingest(url, 'nfl_games', file);
  t.equal(run.code, 3, 'the ingest process exits normally, with 3: rows were rejected');
  t.match(
    ingestResult(run.stdout),
    { feed: 'nfl_games', inserted: 5, updated: 0, corrections: 0, unchanged: 0, rejected: 9, status: 'completed' },
    'counts: 5 inserted, 9 rejected',
  );
  const rejected = await sql<{ line_number: number; stage: string; reason: string; raw: string }[]>`
    select line_number, stage, reason, raw from ingest.rejected_row order by line_number`;
  t.same(
    rejected.map((r) => [r.line_number, r.stage]),
    [6, 7, 8, 9, 10, 11, 12, 13, 14].map((n) => [n, 'validate']),
    'the 9 bad rows are kept, each with its line',
  );
  const reason = Object.fromEntries(rejected.map((r) => [r.line_number, r.reason]));
  t.match(reason[6], /NUL byte/, 'NUL byte: said so');
  t.match(rejected[0]?.raw, /nul\ufffdbyte/, 'and its raw text kept with U+FFFD for the NUL');
  t.match(reason[7], /away_score: is not a whole number \(got "NaN"\)/, 'NaN score');
  t.match(reason[8], /got "Infinity"/, 'Infinity score');
  t.match(reason[9], /is below 0/, 'negative score');
  t.match(reason[10], /gameday: is not a date/, 'year 294277');
  t.match(reason[11], /gameday: is not a date/, "'infinity'");
  t.match(reason[12], /got "1e309"/, '1e309');
  t.match(reason[13], /game_id: is not a game id/, 'injection as the key');
  t.match(reason[14], /away_team: is not a team abbreviation/, 'malformed UTF-8 as a team');
  const events = await sql<{ external_id: string; stadium: string | null }[]>`
    select external_id, metadata->>'stadium' as stadium from core.event order by external_id`;
  t.same(
    events.map((e) => e.external_id),
    ['2024_01_ARI_BUF', '2024_01_BAL_KC', '2024_01_GB_PHI', '2024_01_PIT_ATL', '2024_01_WAS_TB'],
    'the good rows loaded',
  );
  const stadium = Object.fromEntries(events.map((e) => [e.external_id, e.stadium]));
  t.equal(stadium['2024_01_PIT_ATL'], "'; drop table core.event; --", 'an injection string stored verbatim');
  t.equal(stadium['2024_01_ARI_BUF'], 'x" ; select pg_sleep(10); --', 'a quoted one too');
  t.match(stadium['2024_01_GB_PHI'], /\ufffd/, 'malformed UTF-8 decoded with U+FFFD, not refused');
  t.equal(stadium['2024_01_WAS_TB']?.length, 2_000_000, 'the 2 MB field whole');
  const after = await victimCounts(sql);
  t.equal(after['core.event'], before['core.event']! + 5, 'core.event there, with exactly the 5 good games');

  const again = await ingest(url, 'nfl_games', file);
  t.equal(again.code, 3, 'a rerun exits normally, with 3');
  t.match(
    ingestResult(again.stdout),
    { feed: 'nfl_games', inserted: 0, updated: 0, corrections: 0, unchanged: 5, rejected: 9, status: 'completed' },
    'and changes nothing',
  );
});

const cond = (d: string) => `0x${d.repeat(64)}`;
const market = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  question: `Question ${id}?`,
  conditionId: cond(id.slice(-1)),
  active: true,
  closed: false,
  outcomes: '["Yes","No"]',
  outcomePrices: '["0.4","0.6"]',
  ...extra,
});

t.test('polymarket_markets: hostile JSON', async (t) => {
  const { sql, url } = await testDb(t);
  const objects = [
    JSON.stringify(market('601')),
    // duplicate keys: JSON.parse keeps the last one
    JSON.stringify(market('602')).replace('{', '{"question": "first", '),
    JSON.stringify(market('603', { question: "'; drop table core.event; --" })),
    JSON.stringify(market('604', { question: 'nul \u0000 inside' })),
    JSON.stringify(market('605', { outcomePrices: '["NaN","Infinity"]' })),
    JSON.stringify(market('606', { outcomePrices: '["-0.5","1.5"]' })),
    JSON.stringify(market('607', { outcomePrices: '["1e309","0"]' })),
    JSON.stringify(market('608', { endDate: '294277-01-01T00:00:00Z' })),
    // nested 100,000 deep: deeper than JSON.parse's stack
    JSON.stringify(market('609')).replace('{', '{"nested": ' + '['.repeat(100_000) + ']'.repeat(100_000) + ', '),
    JSON.stringify(market('60a', { question: 'q'.repeat(10 * 1024 * 1024) })),
    '{"id": "60b", "broken": ',
  ];
  const file = await tmpFile(t, 'markets.json', '[\n' + objects.join(',\n') + '\n]\n');
  const before = await victimCounts(sql);
  const run = await ingest(url, 'polymarket_markets', file);
  t.equal(run.code, 3, 'the ingest process exits normally, with 3: rows were rejected');
  t.match(
    ingestResult(run.stdout),
    { feed: 'polymarket_markets', inserted: 5, updated: 0, corrections: 0, unchanged: 0, rejected: 6, status: 'completed' },
    'counts: 5 markets loaded, 6 rejected',
  );
  const rejected = await sql<{ line_number: number; stage: string; reason: string }[]>`
    select line_number, stage, reason from ingest.rejected_row order by line_number`;
  t.same(
    rejected.map((r) => [r.line_number, r.stage]),
    [
      [5, 'validate'],
      [6, 'validate'],
      [7, 'validate'],
      [8, 'validate'],
      [9, 'validate'],
      [12, 'parse'],
    ],
    'the bad objects are kept with their line',
  );
  const reason = Object.fromEntries(rejected.map((r) => [r.line_number, r.reason]));
  t.match(reason[5], /NUL byte/, 'an escaped NUL in a string');
  t.match(reason[6], /price "NaN" is not between 0 and 1.*price "Infinity"/, 'NaN and Infinity prices');
  t.match(reason[7], /price "-0.5".*price "1.5"/, 'prices out of range');
  t.match(reason[8], /price "1e309"/, '1e309');
  t.match(reason[9], /endDate: is not an ISO 8601 timestamp/, 'year 294277');
  t.match(reason[12], /the document ends inside this object/, 'a truncated document');
  const rows = await sql<{ id: string; question: string; len: number }[]>`
    select distinct right(external_id, 1) as id, left(question, 40) as question, length(question) as len
      from market.external_market order by 1`;
  t.same(
    rows.map((r) => [r.id, r.question]),
    [
      ['1', 'Question 601?'],
      ['2', 'Question 602?'],
      ['3', "'; drop table core.event; --"],
      ['9', 'Question 609?'],
      ['a', 'q'.repeat(40)],
    ],
    'good markets loaded (by condition id): a duplicate key keeps its last value, an injection is text, deep nesting elsewhere is harmless',
  );
  t.equal(rows.at(-1)?.len, 10 * 1024 * 1024, 'the 10 MB question whole');
  t.same(await victimCounts(sql), before, 'core tables untouched');
});
