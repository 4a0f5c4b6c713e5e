// `scoreline ingest FEED FILE... | DIR` (a real process, real files): one batch per file,
// progress per file, a summary table at the end, the exit code the worst of the files'.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { cli, jsonLines } from './helpers/cli.ts';
import { testDb } from './helpers/db.ts';

async function tmpDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-multi-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

const HEADER = 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR';
const SEASON_A = ['E0,09/08/2019,Liverpool,Norwich,4,1,H', 'E0,10/08/2019,West Ham,Man City,0,5,A'];
const SEASON_B = [
  'E0,09/08/2020,Fulham,Arsenal,0,3,A',
  'E0,12/09/2020,Crystal Palace,Southampton,1,0,H',
  'E0,12/09/2020,Leeds,Leeds,3,4,A',
];
const SEASON_C = ['E1,07/08/2020,Derby,Wigan,2,0,H'];

t.test('a directory and a file: a batch each, progress each, a summary, the worst exit code', async (t) => {
  const { sql, url } = await testDb(t);
  const dir = await tmpDir(t);
  await fs.writeFile(path.join(dir, 'E0_2019-20.csv'), [HEADER, ...SEASON_A].join('\n') + '\n');
  await fs.writeFile(path.join(dir, 'E0_2020-21.csv'), [HEADER, ...SEASON_B].join('\n') + '\n'); // 1 rejected
  await fs.writeFile(path.join(dir, 'README.txt'), 'not a results file\n');
  const other = await tmpDir(t);
  const e1 = path.join(other, 'E1_2020-21.csv');
  await fs.writeFile(e1, [HEADER, ...SEASON_C].join('\n') + '\n');
  const wrong = path.join(other, 'players.csv');
  await fs.writeFile(wrong, 'player_id,name\n1,Someone\n');

  const run = await cli(url, ['ingest', 'football_data', dir, e1, wrong]);
  t.equal(run.code, 1, `exit 1, the worst: one file failed (${run.stderr})`);
  const batches = await sql<{ location: string; status: string; inserted: number; rejected: number }[]>`
    select location, status, inserted, rejected from ingest.batch order by batch_id`;
  t.same(
    batches.map((b) => [path.basename(b.location), b.status, b.inserted, b.rejected]),
    [
      ['E0_2019-20.csv', 'completed', 2, 0],
      ['E0_2020-21.csv', 'completed', 2, 1],
      ['E1_2020-21.csv', 'completed', 1, 0],
      ['players.csv', 'failed', 0, 0],
    ],
    'one batch per file, in order: the directory in name order, its README skipped',
  );
  const loaded = run.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; location: string; batch?: number })
    .filter((p) => p.msg === 'loaded');
  t.same(
    loaded.map((p) => [path.basename(p.location), typeof p.batch]),
    [
      ['E0_2019-20.csv', 'number'],
      ['E0_2020-21.csv', 'number'],
      ['E1_2020-21.csv', 'number'],
    ],
    'a progress line for each file loaded, naming its batch',
  );
  const rows = jsonLines(run.stdout);
  t.equal(rows.length, run.stdout.trimEnd().split('\n').length, 'stdout (not a terminal): one JSON object per line');
  t.same(
    Object.keys(rows[0]!),
    ['file', 'batch', 'inserted', 'updated', 'corrections', 'unchanged', 'rejected', 'odds_kept', 'status'],
    'the summary columns',
  );
  const counts = (r: Record<string, unknown> | undefined) =>
    r && [path.basename(String(r.file)), r.inserted, r.updated, r.corrections, r.unchanged, r.rejected, r.status];
  t.same(counts(rows[0]), ['E0_2019-20.csv', 2, 0, 0, 0, 0, 'completed']);
  t.same(counts(rows[1]), ['E0_2020-21.csv', 2, 0, 0, 0, 1, 'completed, rejected over limit']);
  t.same(counts(rows[2]), ['E1_2020-21.csv', 1, 0, 0, 0, 0, 'completed']);
  t.match(rows[3], {
    file: wrong,
    batch: /^\d+$/,
    inserted: null,
    rejected: null,
    odds_kept: null,
    status: /^failed: .*not a football_data file/,
  });
  t.ok(
    rows.slice(0, 3).every((r) => typeof r.batch === 'string' && typeof r.odds_kept === 'number'),
    'each loaded file with its batch and prices kept',
  );
  t.match(
    rows[4],
    {
      file: '4 files',
      batch: null,
      inserted: 5,
      updated: 0,
      corrections: 0,
      unchanged: 0,
      rejected: 1,
      odds_kept: Number,
      status: '1 failed',
    },
    'and the totals',
  );
  t.equal(rows.length, 5, 'nothing else');
  t.match(run.stderr, /E0_2020-21\.csv: 1 of 3 rows rejected/, 'the rejected file is named');

  const again = await cli(url, ['ingest', 'football_data', dir, e1]);
  t.equal(again.code, 3, 'without the failing file: exit 3, the worst is a rejected row');
  t.match(
    jsonLines(again.stdout).at(-1),
    { file: '3 files', inserted: 0, updated: 0, corrections: 0, unchanged: 5, rejected: 1, status: 'all completed' },
    'a re-run changes nothing',
  );
  const allowed = await cli(url, ['ingest', 'football_data', dir, e1, '--max-rejected', '1']);
  t.equal(allowed.code, 0, 'with --max-rejected 1: exit 0');

  const empty = await tmpDir(t);
  const none = await cli(url, ['ingest', 'football_data', empty]);
  t.equal(none.code, 1, 'a directory without a .csv file fails');
  t.match(none.stderr, /no \.csv file in this directory/);
});
