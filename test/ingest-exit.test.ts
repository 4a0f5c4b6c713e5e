// `scoreline ingest` tells the truth: a real process on real files. Any rejected row makes
// the exit code 3 unless --max-rejected allows it; the last progress line, the batch row
// and the table agree (rows rejected while reading and by the merge); a changed final
// score is counted as a correction, not as an update.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { cli, ingestResult, jsonLines } from './helpers/cli.ts';
import { testDb } from './helpers/db.ts';

async function tmpFile(t: Test, name: string, content: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-exit-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const f = path.join(dir, name);
  await fs.writeFile(f, content);
  return f;
}

/** The JSON progress lines of stderr (not a terminal). */
const progressLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const HEADER = 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR';
const GOOD = [
  'E0,09/08/2019,Liverpool,Norwich,4,1,H',
  'E0,10/08/2019,West Ham,Man City,0,5,A',
  'E0,10/08/2019,Bournemouth,Sheffield United,1,1,D',
  'E0,10/08/2019,Burnley,Southampton,3,0,H',
  'E0,10/08/2019,Crystal Palace,Everton,0,0,D',
  'E0,10/08/2019,Watford,Brighton,0,3,A',
  'E0,11/08/2019,Tottenham,Aston Villa,3,1,H',
  'E0,11/08/2019,Leicester,Wolves,0,0,D',
  'E0,11/08/2019,Newcastle,Arsenal,0,1,A',
  'E0,11/08/2019,Man United,Chelsea,4,0,H',
];
const BAD = [
  'E0,32/08/2019,Arsenal,Burnley,2,1,H', // a date that does not exist
  'E0,17/08/2019,Arsenal,Burnley,2,1,A', // FTR disagrees with the score
  'E0,17/08/2019,Arsenal,Arsenal,2,1,H', // the same club twice
  'E0,17/08/2019,Brighton,West Ham,x,1,H', // goals not a number
  'E0,17/08/2019,Everton,Watford,1,,H', // one score only
  'E0,17/08/2019,Norwich,Newcastle,3,1,Q', // not a result
  'E0,17/08/2019,Chelsea,Leicester,1,1,D,extra', // more fields than the header
  'E0,09/08/2019,Liverpool,Norwich,4,1,H', // the same match twice: rejected by the merge
];

t.test('8 rejected rows (7 while reading, 1 by the merge): exit 3 by default, every count agrees', async (t) => {
  const { sql, url } = await testDb(t);
  const f = await tmpFile(t, 'E0.csv', [HEADER, ...GOOD, ...BAD].join('\n') + '\n');
  const run = await cli(url, ['ingest', 'football_data', f]);
  t.equal(run.code, 3, `exit code 3: ${run.stderr}`);
  const [batch] = await sql<{ batch_id: string; inserted: number; rejected: number; status: string }[]>`
    select batch_id::text, inserted, rejected, status from ingest.batch`;
  t.match(batch, { inserted: 10, rejected: 8, status: 'completed' }, 'the batch: 10 inserted, 8 rejected, completed');
  const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from ingest.rejected_row`;
  t.equal(stored?.n, 8, '8 rows in ingest.rejected_row');
  const result = jsonLines(run.stdout);
  t.equal(result.length, 1, 'stdout (not a terminal): one JSON object, the batch');
  t.same(
    Object.keys(result[0]!),
    ['batch', 'feed', 'inserted', 'updated', 'corrections', 'unchanged', 'rejected', 'odds_kept', 'status', 'location'],
    'with the columns of the table',
  );
  t.match(
    result[0],
    {
      batch: batch!.batch_id,
      feed: 'football_data',
      inserted: 10,
      updated: 0,
      corrections: 0,
      unchanged: 0,
      rejected: 8,
      odds_kept: Number,
      status: 'completed',
      location: f,
    },
    'it says 8 rejected',
  );
  const last = progressLines(run.stderr).at(-1);
  t.match(
    last,
    { msg: 'loaded', rows: 18, batch: Number(batch!.batch_id) },
    'the last progress line says the 18 rows are merged, as that batch',
  );
  t.notOk(last && ['inserted', 'rejected', 'unchanged'].some((k) => k in last), 'and does not repeat the counts stdout gives');
  t.match(run.stderr, /8 of 18 rows rejected, more than --max-rejected 0 allows/, 'and it says why the exit code is 3');

  const allowed = await cli(url, ['ingest', 'football_data', f, '--max-rejected', '8']);
  t.equal(allowed.code, 0, '--max-rejected 8: exit 0');
  t.match(
    ingestResult(allowed.stdout),
    { feed: 'football_data', inserted: 0, updated: 0, corrections: 0, unchanged: 10, rejected: 8, status: 'completed' },
    'a re-run changes nothing',
  );
  const share = await cli(url, ['ingest', 'football_data', f, '--max-rejected', '40%']);
  t.equal(share.code, 3, '--max-rejected 40%: 8 of 18 (44%) is more, exit 3');
  t.match(share.stderr, /more than --max-rejected 40% allows/);
  const enough = await cli(url, ['ingest', 'football_data', f, '--max-rejected', '50%']);
  t.equal(enough.code, 0, '--max-rejected 50%: exit 0');
  const wrong = await cli(url, ['ingest', 'football_data', f, '--max-rejected', 'some']);
  t.not(wrong.code, 0, 'a limit that is not a number or a share is refused');
  t.match(wrong.stderr, /--max-rejected/);

  const clean = await tmpFile(t, 'clean.csv', [HEADER, ...GOOD].join('\n') + '\n');
  const ok = await cli(url, ['ingest', 'football_data', clean]);
  t.equal(ok.code, 0, 'a file without a rejected row: exit 0');
});

t.test('a changed final score is a correction, in its own column', async (t) => {
  const { sql, url } = await testDb(t);
  const f = await tmpFile(t, 'E0.csv', [HEADER, ...GOOD].join('\n') + '\n');
  t.equal((await cli(url, ['ingest', 'football_data', f])).code, 0, 'the first load');
  // West Ham 0-5 Man City becomes 1-5; Liverpool's match gets a kick-off time (an update)
  const changed = [HEADER + ',Time', ...GOOD.map((l) => l + ',')]
    .map((l) =>
      l.replace('West Ham,Man City,0,5,A', 'West Ham,Man City,1,5,A').replace('Liverpool,Norwich,4,1,H,', 'Liverpool,Norwich,4,1,H,20:00'),
    )
    .join('\n');
  const g = await tmpFile(t, 'E0-corrected.csv', changed + '\n');
  const run = await cli(url, ['ingest', 'football_data', g]);
  t.equal(run.code, 0, run.stderr);
  t.match(
    ingestResult(run.stdout),
    { feed: 'football_data', inserted: 0, updated: 1, corrections: 1, unchanged: 8, rejected: 0, status: 'completed' },
    'the result: 1 updated, 1 correction, 8 unchanged',
  );
  const [batch] = await sql<{ updated: number; corrections: number; unchanged: number }[]>`
    select updated, corrections, unchanged from ingest.batch order by batch_id desc limit 1`;
  t.same(batch, { updated: 1, corrections: 1, unchanged: 8 }, 'so does the batch row');
  t.match(progressLines(run.stderr).at(-1), { msg: 'loaded', rows: 10, batch: Number }, 'and the last progress line: merged');
  const [event] = await sql<{ home_score: number; result_version: number }[]>`
    select home_score, result_version from core.event where name = 'West Ham v Man City'`;
  t.match(event, { home_score: 1 }, 'the result is corrected');
  t.equal(event?.result_version, 1, 'through core.correct_event_result (result_version bumped)');
});

t.test('not on a terminal, ingest prints one JSON object per line; on one (--format table), the table', async (t) => {
  const { sql, url } = await testDb(t);
  const f = await tmpFile(t, 'E0.csv', [HEADER, ...GOOD, ...BAD].join('\n') + '\n');
  const run = await cli(url, ['ingest', 'football_data', f, '--show-rejected', '--max-rejected', '8']);
  t.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  const objects = jsonLines(run.stdout);
  t.equal(objects.length, lines.length, 'every line of stdout is a JSON object');
  t.equal(objects.length, 9, 'the 8 rejected rows, then the batch');
  const rejected = await sql<{ line_number: number; stage: string; reason: string }[]>`
    select line_number, stage, reason from ingest.rejected_row order by line_number`;
  t.same(
    objects.slice(0, 8),
    rejected.map((r) => ({ location: f, line: r.line_number, stage: r.stage, reason: r.reason })),
    'each rejected row with its line, stage and reason',
  );
  t.match(objects[8], { feed: 'football_data', inserted: 10, rejected: 8, status: 'completed' }, 'then the batch');
  for (const obj of objects) {
    const reason = obj.reason as string | undefined;
    if (reason) t.notOk(run.stderr.includes(reason), `not repeated on stderr: ${reason}`);
  }
  t.notMatch(run.stderr, /"inserted"/, 'no count of the result on stderr');

  const table = await cli(url, ['--format', 'table', 'ingest', 'football_data', f, '--max-rejected', '8']);
  t.equal(table.code, 0, table.stderr);
  t.match(
    table.stdout,
    /^batch\s+feed\s+inserted\s+updated\s+corrections\s+unchanged\s+rejected\s+odds_kept\s+status\s+location\n\d+\s+football_data\s+0\s+0\s+0\s+10\s+8\s+\d+\s+completed\s/,
    'a person gets the table, counts right-aligned under their names',
  );
});
