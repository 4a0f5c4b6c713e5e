// Range checks before the merge, and per-row database errors: a value out of its range
// (a price of 1000000, a spread of 1e6) rejects its row with the reason, and a row the
// database itself refuses (a constraint, a trigger) is rejected alone: the other rows of
// the file load, the batch completes.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { testDb } from './helpers/db.ts';

async function tmpFile(t: Test, name: string, content: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-range-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const f = path.join(dir, name);
  await fs.writeFile(f, content);
  return f;
}

const FD_HEADER = 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A,B365CH,B365CD,B365CA';
const fdFile = (rows: string[]) => [FD_HEADER, ...rows].join('\n') + '\n';

t.test('football_data: a price of 1000000 rejects its row with the reason; the other rows load', async (t) => {
  const { sql } = await testDb(t);
  const f = await tmpFile(
    t,
    'E0.csv',
    fdFile([
      'E0,09/08/2019,Liverpool,Norwich,4,1,H,1.14,10,19,1.15,9.5,21',
      'E0,10/08/2019,West Ham,Man City,0,5,A,1000000,6.5,1.3,12,6.5,1.25', // line 3
      'E0,10/08/2019,Bournemouth,Sheffield United,1,1,D,1.95,3.6,4.2,2,3.5,4',
      'E0,10/08/2019,Burnley,Southampton,3,0,H,2.62,3.2,2.75,2.6,3.2,2.8,', // a trailing empty field
      'E0,10/08/2019,Crystal Palace,Everton,0,0,D,3,3.25,2.55,3.1,3.2,1001', // line 6: a closing price
      'E0,10/08/2019,Watford,Brighton,0,3,A,1.005,3.4,4.5,1.9,3.4,4.4', // line 7: below 1.01
    ]),
  );
  const batch = await loadFile(sql, feeds.football_data!, f);
  t.match(batch, { status: 'completed', inserted: 3, rejected: 3 }, 'the batch completes: 3 matches in, 3 rejected');
  const rejected = await sql<{ line_number: number; stage: string; reason: string }[]>`
    select line_number, stage, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
  t.same(
    rejected.map((r) => [r.line_number, r.stage, r.reason]),
    [
      [3, 'validate', 'B365H 1000000 is out of range (1.01–1000)'],
      [6, 'validate', 'B365CA 1001 is out of range (1.01–1000)'],
      [7, 'validate', 'B365H 1.005 is out of range (1.01–1000)'],
    ],
    'each rejected row says which value is out of which range',
  );
  const [n] = await sql<{ events: number; prices: number }[]>`
    select (select count(*)::int from core.event) as events, (select count(*)::int from market.odds_history) as prices`;
  t.same(n, { events: 3, prices: 18 }, 'the valid matches and their prices are there');
});

t.test('nfl_games and hkjc_results: numbers out of range are rejected before the merge', async (t) => {
  const { sql } = await testDb(t);
  const header =
    'game_id,season,game_type,week,gameday,gametime,away_team,away_score,home_team,home_score,away_moneyline,home_moneyline,spread_line,total_line';
  const f = await tmpFile(
    t,
    'games.csv',
    [
      header,
      '2024_01_BAL_KC,2024,REG,1,2024-09-05,20:20,BAL,20,KC,27,124,-148,3,46.5',
      '2024_01_GB_PHI,2024,REG,1,2024-09-06,20:15,GB,29,PHI,34,100,-120,1000000,48.5', // line 3
      '2024_01_PIT_ATL,2024,REG,1,2024-09-08,13:00,PIT,18,ATL,10,100000,-142,3.5,42', // line 4
      '2024_01_ARI_BUF,2024,REG,1,2024-09-08,13:00,ARI,28,BUF,34,220,-270,6.5,-3', // line 5
    ].join('\n') + '\n',
  );
  const batch = await loadFile(sql, feeds.nfl_games!, f);
  t.match(batch, { status: 'completed', inserted: 1, rejected: 3 }, 'one game in, three rejected');
  const reasons = await sql<{ line_number: number; reason: string }[]>`
    select line_number, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
  t.match(
    reasons.map((r) => [r.line_number, r.reason]),
    [
      [3, /spread_line: is out of range \(-100–100\)/],
      [4, /away_moneyline: is above 99900/],
      [5, /total_line: is out of range \(0–200\)/],
    ],
    'each with the column and its range',
  );
});

t.test('a row the database refuses is rejected alone (stage merge, with the SQLSTATE); the batch completes', async (t) => {
  const { sql } = await testDb(t);
  // A rule the database enforces and the feed's checks do not know: a real trigger on core.event.
  await sql.unsafe(`
    create function public.refuse_event() returns trigger language plpgsql as $$
    begin
      if new.name like 'Refused%' then
        raise exception 'no event of club Refused' using errcode = '23514';
      end if;
      return new;
    end $$;
    create trigger refuse_event before insert on core.event for each row execute function public.refuse_event();
  `);
  const f = await tmpFile(
    t,
    'E0.csv',
    fdFile([
      'E0,09/08/2019,Liverpool,Norwich,4,1,H,1.14,10,19,1.15,9.5,21',
      'E0,10/08/2019,West Ham,Man City,0,5,A,12,6.5,1.3,12,6.5,1.25',
      'E0,10/08/2019,Refused,Everton,0,0,D,3,3.25,2.55,3.1,3.2,2.6', // line 4
      'E0,10/08/2019,Bournemouth,Sheffield United,1,1,D,1.95,3.6,4.2,2,3.5,4',
      'E0,10/08/2019,Burnley,Southampton,3,0,H,2.62,3.2,2.75,2.6,3.2,2.8',
    ]),
  );
  const batch = await loadFile(sql, feeds.football_data!, f);
  t.match(batch, { status: 'completed', inserted: 4, rejected: 1 }, 'the batch completes with the 4 other matches');
  const [r] = await sql<{ line_number: number; stage: string; reason: string }[]>`
    select line_number, stage, reason from ingest.rejected_row where batch_id = ${batch.batch_id}`;
  t.match(
    r,
    { line_number: 4, stage: 'merge', reason: /^the database refused this row: no event of club Refused \(SQLSTATE 23514\)$/ },
    'the refused row is kept with the database message and SQLSTATE',
  );
  const events = await sql<{ name: string }[]>`select name from core.event order by name`;
  t.same(
    events.map((e) => e.name),
    ['Bournemouth v Sheffield United', 'Burnley v Southampton', 'Liverpool v Norwich', 'West Ham v Man City'],
    'the other rows are merged',
  );
  const [prices] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_history`;
  t.equal(prices?.n, 24, 'with their prices');
});
