// `scoreline ingest` tells the truth: a real process on real files. Any rejected row makes
// the exit code 3 unless --max-rejected allows it; the last progress line, the batch row
// and the table agree (rows rejected while reading and by the merge); a changed final
// score is counted as a correction, not as an update.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { cli } from './helpers/cli.ts';
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
  t.match(
    run.stdout,
    new RegExp(
      `^batch\\s+feed\\s+inserted\\s+updated\\s+corrections\\s+unchanged\\s+rejected\\s+odds_kept\\s+status\\s+location\\n${batch!.batch_id}\\s+football_data\\s+10\\s+0\\s+0\\s+0\\s+8\\s+\\d+\\s+completed\\s`,
    ),
    'the table says 8 rejected',
  );
  const last = progressLines(run.stderr).at(-1);
  t.match(last, { msg: 'loaded', rows: 18, inserted: 10, rejected: 8 }, 'the last progress line says 8 rejected too');
  t.match(run.stderr, /8 of 18 rows rejected, more than --max-rejected 0 allows/, 'and it says why the exit code is 3');

  const allowed = await cli(url, ['ingest', 'football_data', f, '--max-rejected', '8']);
  t.equal(allowed.code, 0, '--max-rejected 8: exit 0');
  t.match(allowed.stdout, /football_data\s+0\s+0\s+0\s+10\s+8\s+(\d+|-)\s+completed/, 'a re-run changes nothing');
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
  t.match(run.stdout, /football_data\s+0\s+1\s+1\s+8\s+0\s+(\d+|-)\s+completed/, 'the table: 1 updated, 1 correction, 8 unchanged');
  const [batch] = await sql<{ updated: number; corrections: number; unchanged: number }[]>`
    select updated, corrections, unchanged from ingest.batch order by batch_id desc limit 1`;
  t.same(batch, { updated: 1, corrections: 1, unchanged: 8 }, 'so does the batch row');
  t.match(progressLines(run.stderr).at(-1), { msg: 'loaded', updated: 1, corrections: 1, unchanged: 8 }, 'and the last progress line');
  const [event] = await sql<{ home_score: number; result_version: number }[]>`
    select home_score, result_version from core.event where name = 'West Ham v Man City'`;
  t.match(event, { home_score: 1 }, 'the result is corrected');
  t.equal(event?.result_version, 1, 'through core.correct_event_result (result_version bumped)');
});
