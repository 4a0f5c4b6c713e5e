// football_data on real files of every era and division (test/fixtures/football-data/,
// copies of ../shared/data/football-data): the 22 standard divisions are mapped, a DBA maps
// a new one (ingest.map_competition_code, `scoreline ingest-map-code`), the columns of
// each vintage are read (HT/AT, no half time, no odds, BbAv/BbMx, Avg/Max, every bookmaker,
// closing prices, match statistics), ragged rows and Windows-1252 lines load, a file that
// is not football-data's fails before a row, and a mid-season file completed later adds
// only the new matches.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import type { BatchRow } from '../src/ingest/feed.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { cli } from './helpers/cli.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { asRole } from './helpers/roles.ts';

const DIR = path.join(repoRoot, 'test/fixtures/football-data');
const file = (name: string) => path.join(DIR, name);
const load = (sql: Sql, f: string) => loadFile(sql, feeds.football_data!, f);
const counts = (b: BatchRow) => ({ inserted: b.inserted, updated: b.updated, unchanged: b.unchanged, rejected: b.rejected });

async function tmpFile(t: Test, name: string, content: string | Buffer): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-formats-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const f = path.join(dir, name);
  await fs.writeFile(f, content);
  return f;
}

t.test('ragged rows, lines of commas and a header that is not football-data', async (t) => {
  const { sql } = await testDb(t);
  const header = 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,B365H,B365D,B365A';
  const f = await tmpFile(
    t,
    'ragged.csv',
    [
      header,
      'E1,05/08/16,Fulham,Newcastle,1,0,H,1,0,H,4,3.6,2,,,', // line 2: trailing empty fields
      'E1,06/08/16,Brentford,Huddersfield,1,2,A', // line 3: missing trailing fields
      ',,,,,,', // line 4: only commas
      'E1,06/08/16,Burton,Nottm Forest,1,2,A,0,1,A,3,3.3,2.3,x', // line 5: a non-empty field beyond the header
      'E1,06/08/16,Derby,Brighton,,,,,,,,,', // line 6: not played yet
      'E1,06/08/16,,Leeds,1,0,H', // line 7: a required column empty
      ',,,,,,,,,,,,,,,,,',
    ].join('\n'),
  );
  const batch = await load(sql, f);
  t.same(counts(batch), { inserted: 3, updated: 0, unchanged: 0, rejected: 2 });
  const bad = await sql<{ line_number: number; reason: string }[]>`
    select line_number, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
  t.match(bad, [
    { line_number: 5, reason: /14 fields where the header has 13/ },
    { line_number: 7, reason: /HomeTeam: is empty/ },
  ]);

  const nfl = await tmpFile(t, 'nfl.csv', 'game_id,season,game_type,week\n2024_01_BAL_KC,2024,REG,1\n');
  await t.rejects(
    load(sql, nfl),
    /not a football_data file: missing columns Div, Date, HomeTeam or HT or Home, AwayTeam or AT or Away, FTHG or HG, FTAG or AG \(a football-data\.co\.uk results file starts Div,Date,HomeTeam/,
    'a file that is not football-data fails before reading a row, saying so',
  );
  const [failed] = await sql<{ status: string; rejected: number }[]>`
    select status, rejected from ingest.batch order by batch_id desc limit 1`;
  t.same(failed, { status: 'failed', rejected: 0 }, 'its batch failed, no row read');
});

t.test('a mid-season file, then the full season: only the new matches are added', async (t) => {
  const { sql } = await testDb(t);
  const lines = (await fs.readFile(file('E2_2020-21.csv'), 'utf8')).split('\r\n');
  const half = await tmpFile(t, 'E2_half.csv', lines.slice(0, 151).join('\r\n'));
  t.same(counts(await load(sql, half)), { inserted: 150, updated: 0, unchanged: 0, rejected: 0 }, 'the first 150 matches');
  const before = await sql`select * from core.event order by event_id`;
  const beforeSnapshots = await sql`select * from market.odds_history order by selection_id, source_id, observed_at`;
  t.same(
    counts(await load(sql, file('E2_2020-21.csv'))),
    { inserted: 107, updated: 0, unchanged: 150, rejected: 0 },
    'the rest, nothing else changed',
  );
  const after = await sql`select * from core.event where event_id <= ${before.at(-1)!.event_id} order by event_id`;
  t.same(after, before, 'the first 150 matches exactly as they were');
  const kept = await sql`
    select o.* from market.odds_history o join market.selection s using (selection_id) join market.market m using (market_id)
     where m.event_id <= ${before.at(-1)!.event_id} order by o.selection_id, o.source_id, o.observed_at`;
  t.same(kept, beforeSnapshots, 'and their prices');
});

t.test('divisions: the 22 standard ones are mapped; a DBA maps a new one', async (t) => {
  const { sql, url } = await testDb(t);
  const mapped = await sql<{ code: string }[]>`select code from ingest.competition_code where feed = 'football_data' order by code`;
  t.same(
    mapped.map((m) => m.code),
    [
      'B1',
      'D1',
      'D2',
      'E0',
      'E1',
      'E2',
      'E3',
      'EC',
      'F1',
      'F2',
      'G1',
      'I1',
      'I2',
      'N1',
      'P1',
      'SC0',
      'SC1',
      'SC2',
      'SC3',
      'SP1',
      'SP2',
      'T1',
    ],
  );
  const [d1] = await sql<{ name: string; country: string; sport: string }[]>`
    select c.name, c.country, s.code as sport from ingest.competition_code cc join core.competition c using (competition_id)
      join core.sport s using (sport_id) where cc.code = 'D1'`;
  t.same(d1, { name: 'Bundesliga', country: 'DE', sport: 'football' });

  const header = 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR';
  const f = await tmpFile(t, 'X1.csv', [header, 'X1,05/08/23,Alpha,Beta,1,0,H'].join('\n'));
  const first = await load(sql, f);
  t.same(counts(first), { inserted: 0, updated: 0, unchanged: 0, rejected: 1 });
  const [why] = await sql<{ reason: string }[]>`select reason from ingest.rejected_row where batch_id = ${first.batch_id}`;
  t.match(why?.reason, /division X1 is not a known competition: map it with `scoreline ingest-map-code football_data X1 <competition>`/);

  const run = await cli(url, [
    'ingest-map-code',
    'football_data',
    'X1',
    'test_league',
    '--name',
    'Test League',
    '--sport',
    'football',
    '--country',
    'XX',
  ]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, 'football_data X1 -> test_league (Test League, XX)');
  t.same(counts(await load(sql, f)), { inserted: 1, updated: 0, unchanged: 0, rejected: 0 }, 'mapped: the file loads');
  const again = await cli(url, ['ingest-map-code', 'football_data', 'X1', 'test_league']);
  t.equal(again.code, 0, 'the same mapping again is fine');

  await rejectsWith(t, sql`select ingest.map_competition_code('no_feed', 'X1', 'test_league')`, {
    code: 'SL107',
    message: /no feed no_feed/,
  });
  await rejectsWith(t, sql`select ingest.map_competition_code('football_data', 'X2', 'x_league')`, {
    code: 'SL108',
    message: /no competition x_league: give its name and sport/,
  });
  await rejectsWith(t, sql`select ingest.map_competition_code('football_data', 'X1', 'serie_a')`, {
    code: 'SL109',
    message: /football_data code X1 already maps to competition test_league/,
  });
  await rejectsWith(t, sql`select ingest.map_competition_code('football_data', 'X3', 'x_league', 'X League', null, 'curling')`, {
    code: 'SL110',
    message: /no sport curling/,
  });
  const failing = await cli(url, ['ingest-map-code', 'football_data', 'X2', 'x_league']);
  t.not(failing.code, 0, 'the command fails on an unknown competition');
  t.match(failing.stderr, /SL108/);
  for (const kind of ['worker', 'app'] as const) {
    await rejectsWith(
      t,
      asRole(sql, kind, (tx) => tx`select ingest.map_competition_code('football_data', 'X4', 'serie_a')`),
      { code: '42501' },
      `the ${kind} role may not map a code`,
    );
  }
  const [none] = await sql<{ n: number }[]>`select count(*)::int as n from core.competition where code in ('x_league')`;
  t.equal(none?.n, 0, 'nothing created by the refusals');
});
