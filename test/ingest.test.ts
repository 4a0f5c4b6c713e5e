import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import type { BatchRow } from '../src/ingest/feed.ts';
import { copyText, feeds, loadFile } from '../src/ingest/load.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

const data = (file: string) => path.join(repoRoot, 'data', file);
const NFL = data('nfl_games_2024_2025.csv');
const EPL = data('epl_2019_20_results_odds.csv');
const PLAYERS = data('nfl_players_2024.csv');

const load = (sql: Sql, feed: string, file: string) => loadFile(sql, feeds[feed]!, file);

const counts = (b: BatchRow) => ({
  inserted: b.inserted,
  updated: b.updated,
  unchanged: b.unchanged,
  rejected: b.rejected,
  ...(b.corrections ? { corrections: b.corrections } : {}),
});

async function tmpFile(t: Test, name: string, content: string | Buffer): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-ingest-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  await fs.writeFile(file, content);
  return file;
}

async function nflLines(): Promise<{ header: string; rows: string[] }> {
  const [header, ...rows] = (await fs.readFile(NFL, 'utf8')).trimEnd().split('\n');
  return { header: header!, rows };
}

/** Replace the value of `column` in a CSV line of the NFL file (none of its fields is quoted). */
function setColumn(header: string, line: string, column: string, value: string): string {
  const i = header.split(',').indexOf(column);
  const fields = line.split(',');
  fields[i] = value;
  return fields.join(',');
}

async function rejected(sql: Sql, batchId: string) {
  return sql<{ line_number: number; stage: string; raw: string; reason: string }[]>`
    select line_number, stage, raw, reason from ingest.rejected_row where batch_id = ${batchId} order by line_number`;
}

t.test('the real files: exact counts, and a re-run changes nothing', async (t) => {
  const { sql } = await testDb(t);

  const games = await load(sql, 'nfl_games', NFL);
  t.same(counts(games), { inserted: 557, updated: 0, unchanged: 0, rejected: 0 }, 'nfl_games: 557 games');
  t.equal(games.status, 'completed');

  const byStage = await sql<{ season: string; stage: string; status: string; n: number }[]>`
    select s.label as season, e.stage, e.status, count(*)::int as n
      from core.event e join core.season s using (season_id)
      join core.competition c on c.competition_id = e.competition_id
     where c.code = 'nfl' group by 1, 2, 3 order by 1, 2, 3`;
  t.same(
    byStage.map((r) => [r.season, r.stage, r.status, r.n]),
    [
      ['2024', 'postseason', 'completed', 13],
      ['2024', 'regular', 'completed', 272],
      ['2025', 'regular', 'completed', 193],
      ['2025', 'regular', 'scheduled', 79],
    ],
    '2024: 272 regular + 13 post-season = 285; 2025 partly played',
  );
  const seasons = await sql<{ label: string; is_current: boolean; weeks: number }[]>`
    select s.label, s.is_current, (select count(*)::int from core.week w where w.season_id = s.season_id) as weeks
      from core.season s join core.competition c using (competition_id) where c.code = 'nfl' order by 1`;
  t.same(
    seasons.map((s) => [s.label, s.is_current, s.weeks]),
    [
      ['2024', false, 22],
      ['2025', true, 18],
    ],
    'seasons 2024 and 2025 (current), with their weeks',
  );
  const [teams] = await sql<{ n: number }[]>`
    select count(*)::int as n from core.team t join core.sport s using (sport_id) where s.code = 'american_football'`;
  t.equal(teams?.n, 32, '32 NFL teams');

  const [kc] = await sql<
    { start: Date; stage: string; round: string; home: string; away: string; hs: number; as: number; odds: unknown }[]
  >`
    select e.scheduled_start as start, e.stage, e.round, h.code as home, a.code as away, e.home_score as hs, e.away_score as as,
           e.metadata -> 'odds' as odds
      from core.event e join core.team h on h.team_id = e.home_team_id join core.team a on a.team_id = e.away_team_id
     where e.external_id = '2024_01_BAL_KC'`;
  t.equal(kc?.start.toISOString(), '2024-09-06T00:20:00.000Z', '20:20 US Eastern (EDT) on 2024-09-05');
  t.same([kc?.stage, kc?.round, kc?.home, kc?.away, kc?.hs, kc?.as], ['regular', 'REG', 'KC', 'BAL', 27, 20]);
  t.same(kc?.odds, { consensus: { home: 1.6757, away: 2.24 } }, 'moneylines -148 / +124 as decimal odds');
  const [sb] = await sql<{ stage: string; round: string; week: number; label: string; start: Date }[]>`
    select e.stage, e.round, e.week_number as week, w.label, e.scheduled_start as start
      from core.event e join core.week w using (season_id, week_number) where e.external_id = '2024_22_KC_PHI'`;
  t.same([sb?.stage, sb?.round, sb?.week, sb?.label], ['postseason', 'SB', 22, 'Super Bowl']);
  t.equal(sb?.start.toISOString(), '2025-02-09T23:30:00.000Z', '18:30 US Eastern (EST) in February');

  const markets = await sql<{ markets: number; selections: number; with_team: number }[]>`
    select count(distinct m.market_id)::int as markets, count(s.selection_id)::int as selections,
           count(s.team_id)::int as with_team
      from market.market m join market.selection s using (market_id) where m.market_type = 'match_result'`;
  t.same(markets[0], { markets: 557, selections: 1671, with_team: 1114 }, 'a match_result market per game: home/draw/away');

  const epl = await load(sql, 'football_data', EPL);
  t.same(counts(epl), { inserted: 380, updated: 0, unchanged: 0, rejected: 0 }, 'football_data: 380 matches');
  const [eplSeason] = await sql<
    { label: string; is_current: boolean; weeks: number; events: number; clubs: number; min_week: number; max_week: number }[]
  >`
    select s.label, s.is_current,
           (select count(*)::int from core.week w where w.season_id = s.season_id) as weeks,
           (select count(*)::int from core.event e where e.season_id = s.season_id and e.week_number is not null) as events,
           (select count(distinct e.home_team_id)::int from core.event e where e.season_id = s.season_id) as clubs,
           (select min(week_number) from core.event e where e.season_id = s.season_id) as min_week,
           (select max(week_number) from core.event e where e.season_id = s.season_id) as max_week
      from core.season s join core.competition c using (competition_id) where c.code = 'epl'`;
  t.same(eplSeason, { label: '2019-20', is_current: true, weeks: 38, events: 380, clubs: 20, min_week: 1, max_week: 38 });
  const [lfc] = await sql<{ start: Date; status: string; week: number; odds: Record<string, unknown>; ht: unknown }[]>`
    select scheduled_start as start, status, week_number as week, metadata -> 'odds' as odds, metadata -> 'half_time' as ht
      from core.event where external_id = 'epl_2019-20_20190809_Liverpool_Norwich'`;
  t.equal(lfc?.start.toISOString(), '2019-08-09T19:00:00.000Z', '20:00 UK time (BST), day-first date');
  t.same([lfc?.status, lfc?.week], ['completed', 1]);
  t.same(lfc?.odds.bet365, { home: 1.14, draw: 10, away: 19 }, 'Bet365 prices');
  t.same(lfc?.odds.pinnacle_closing, { home: 1.14, draw: 10.43, away: 19.63 }, 'Pinnacle closing prices');
  t.same(lfc?.ht, { home: 4, away: 0 });
  const [manu] = await sql<{ n: number }[]>`
    select count(*)::int as n from core.event e join core.team h on h.team_id = e.home_team_id
     where h.code = 'Man United' and e.external_id like 'epl_2019-20_%_Man_United_%'`;
  t.equal(manu?.n, 19, 'clubs by their short name, natural ids with underscores');

  const players = await load(sql, 'nfl_players', PLAYERS);
  t.same(
    counts(players),
    { inserted: 1996, updated: 0, unchanged: 0, rejected: 1 },
    'nfl_players: 1996 players, the team-total row rejected',
  );
  const [pr] = await sql<{ players: number; rosters: number; qbs: number }[]>`
    select (select count(*)::int from core.player) as players, (select count(*)::int from core.roster) as rosters,
           (select count(*)::int from core.roster where position = 'QB') as qbs`;
  t.same(pr, { players: 1996, rosters: 1996, qbs: 78 });
  const [rodgers] = await sql<{ name: string; team: string; position: string; season: string }[]>`
    select p.full_name as name, t.code as team, r.position, s.label as season
      from core.player p join core.roster r using (player_id) join core.team t using (team_id) join core.season s using (season_id)
     where p.external_id = '00-0023459'`;
  t.same(rodgers, { name: 'Aaron Rodgers', team: 'NYJ', position: 'QB', season: '2024' });
  const [teamRow] = await rejected(sql, players.batch_id);
  t.equal(teamRow?.line_number, 1998, 'the rejected row keeps its line');
  t.match(teamRow?.reason, /player_id: is not a GSIS player id/, 'and the zod issue');

  for (const [feed, file, n] of [
    ['nfl_games', NFL, 557],
    ['football_data', EPL, 380],
    ['nfl_players', PLAYERS, 1996],
  ] as const) {
    const again = await load(sql, feed, file);
    t.same(
      counts(again),
      { inserted: 0, updated: 0, unchanged: n, rejected: feed === 'nfl_players' ? 1 : 0 },
      `${feed} re-run: inserted 0, updated 0`,
    );
  }
  const [corrections] = await sql<{ n: number }[]>`select count(*)::int as n from core.event_correction`;
  t.equal(corrections?.n, 0, 'no correction from a re-run');
});

t.test('injected bad rows: the good rows load, each bad one is kept with its line and reason', async (t) => {
  const { sql } = await testDb(t);
  const { header, rows } = await nflLines();
  const good = rows.slice(0, 6);
  const lines = [
    header,
    good[0]!,
    setColumn(header, good[1]!, 'gameday', '2024-13-45'), // line 3: wrong date
    good[2]!,
    setColumn(header, good[3]!, 'home_score', 'abc'), // line 5: bad score
    setColumn(header, good[4]!, 'home_team', ''), // line 6: missing team
    good[5]!.replace(',Home,', ',"Home,'), // line 7: broken quote
    rows[6]!,
    rows[7]!,
  ];
  const file = await tmpFile(t, 'games.csv', lines.join('\n') + '\n');
  const batch = await load(sql, 'nfl_games', file);
  t.same(counts(batch), { inserted: 4, updated: 0, unchanged: 0, rejected: 4 }, '4 good rows in, 4 bad rows kept');
  const bad = await rejected(sql, batch.batch_id);
  t.same(
    bad.map((r) => [r.line_number, r.stage]),
    [
      [3, 'validate'],
      [5, 'validate'],
      [6, 'validate'],
      [7, 'parse'],
    ],
  );
  t.match(bad[0]?.reason, /^gameday: is not a date YYYY-MM-DD \(got "2024-13-45"\)/, 'wrong date');
  t.match(bad[1]?.reason, /^home_score: is not a whole number \(got "abc"\)/, 'bad score');
  t.match(bad[2]?.reason, /home_team: is not a team abbreviation/, 'missing team');
  t.equal(bad[3]?.reason, 'a quoted field is never closed', 'broken quote');
  t.equal(bad[0]?.raw, lines[2], 'raw text kept as read');
  const [loaded] = await sql<{ n: number }[]>`select count(*)::int as n from core.event`;
  t.equal(loaded?.n, 4);
  const [stage] = await sql<{ n: number }[]>`select count(*)::int as n from ingest.stage_nfl_games`;
  t.equal(stage?.n, 0, 'the staging table is emptied by the merge');

  const dup = await tmpFile(t, 'dup.csv', [header, good[0]!, good[0]!].join('\n'));
  const dupBatch = await load(sql, 'nfl_games', dup);
  t.same(counts(dupBatch), { inserted: 0, updated: 0, unchanged: 1, rejected: 1 });
  const [dupRow] = await rejected(sql, dupBatch.batch_id);
  t.same([dupRow?.line_number, dupRow?.stage], [3, 'merge']);
  t.match(dupRow?.reason, /game_id 2024_01_BAL_KC already appears on line 2/);
});

t.test('a file with a byte-order mark and CRLF line ends', async (t) => {
  const { sql } = await testDb(t);
  const { header, rows } = await nflLines();
  const file = await tmpFile(t, 'bom.csv', '\ufeff' + [header, ...rows.slice(0, 3)].join('\r\n') + '\r\n');
  const batch = await load(sql, 'nfl_games', file);
  t.same(counts(batch), { inserted: 3, updated: 0, unchanged: 0, rejected: 0 }, 'the BOM is not part of the first column name');
  const [row] = await sql<
    { stadium: string }[]
  >`select metadata ->> 'stadium' as stadium from core.event where external_id = '2024_01_BAL_KC'`;
  t.equal(row?.stadium, 'GEHA Field at Arrowhead Stadium', 'no stray carriage return in the last column');
});

t.test('a later file: a played game and a corrected result update exactly those rows', async (t) => {
  const { sql } = await testDb(t);
  const { header, rows } = await nflLines();
  const played = rows.find((r) => r.startsWith('2024_01_BAL_KC,'))!;
  const [unplayed, unplayed2] = rows.filter((r) => r.split(',')[10] === '') as [string, string];
  const unplayedId = unplayed.split(',')[0]!;
  const first = await tmpFile(t, 'a.csv', [header, played, unplayed, unplayed2].join('\n'));
  t.same(counts(await load(sql, 'nfl_games', first)), { inserted: 3, updated: 0, unchanged: 0, rejected: 0 });

  const corrected = setColumn(header, played, 'home_score', '28');
  const nowPlayed = setColumn(header, setColumn(header, unplayed, 'home_score', '21'), 'away_score', '17');
  const second = await tmpFile(t, 'b.csv', [header, corrected, nowPlayed, unplayed2].join('\n'));
  t.same(counts(await load(sql, 'nfl_games', second)), { inserted: 0, updated: 1, unchanged: 1, rejected: 0, corrections: 1 });

  const [kc] = await sql<{ home_score: number; result_version: number; reason: string }[]>`
    select e.home_score, e.result_version, c.reason
      from core.event e join core.event_correction c using (event_id) where e.external_id = '2024_01_BAL_KC'`;
  t.same([kc?.home_score, kc?.result_version], [28, 1], 'a settled result is corrected through core.correct_event_result');
  t.match(kc?.reason, /corrected by ingest batch \d+, line 2/, 'the correction names the batch and line');
  const [late] = await sql<{ status: string; home_score: number; away_score: number; result_version: number }[]>`
    select status, home_score, away_score, result_version from core.event where external_id = ${unplayedId}`;
  t.same(late, { status: 'completed', home_score: 21, away_score: 17, result_version: 0 }, 'a scheduled game becomes completed');

  // A result the feed no longer has, and a status change the lifecycle forbids, are refused.
  await sql`update core.event set status = 'postponed' where external_id = ${unplayed2.split(',')[0]!}`;
  const playedAfterAll = setColumn(header, setColumn(header, unplayed2, 'home_score', '3'), 'away_score', '0');
  const third = await tmpFile(t, 'c.csv', [header, unplayed, playedAfterAll].join('\n'));
  const refused = await load(sql, 'nfl_games', third);
  t.same(counts(refused), { inserted: 0, updated: 0, unchanged: 0, rejected: 2 });
  const reasons = (await rejected(sql, refused.batch_id)).map((r) => [r.line_number, r.stage, r.reason]);
  t.match(reasons, [
    [2, 'merge', /is completed but the feed has no result for it/],
    [3, 'merge', /is postponed; it cannot become completed/],
  ]);
});

t.test('football_data: day-first dates, results that contradict the score, unknown divisions, an unreadable price', async (t) => {
  const { sql } = await testDb(t);
  const [header, ...rows] = (await fs.readFile(EPL, 'utf8')).trimEnd().split(/\r?\n/);
  const cols = header!.split(',');
  const set = (line: string, column: string, value: string) => {
    const f = line.split(',');
    f[cols.indexOf(column)] = value;
    return f.join(',');
  };
  const file = await tmpFile(
    t,
    'E0.csv',
    [
      header,
      rows[0],
      set(rows[1]!, 'Date', '32/08/2019'), // line 3
      set(rows[2]!, 'FTR', 'A'), // line 4: Bournemouth 1-1 Sheffield United is a draw
      set(rows[3]!, 'Div', 'X9'), // line 5
      set(rows[4]!, 'B365H', '0.5'), // line 6: not a price, but the match is not lost for it
    ].join('\r\n'),
  );
  const batch = await load(sql, 'football_data', file);
  t.same(counts(batch), { inserted: 2, updated: 0, unchanged: 0, rejected: 3 });
  const bad = await rejected(sql, batch.batch_id);
  t.match(
    bad.map((r) => [r.line_number, r.stage, r.reason]),
    [
      [3, 'validate', /^Date: is not a day-first date dd\/mm\/yyyy \(got "32\/08\/2019"\)/],
      [4, 'validate', /^FTR: does not agree with the score 1-1/],
      [5, 'merge', /division X9 is not a known competition: map it with `scoreline ingest-map-code football_data X9/],
    ],
  );
  const [line6] = await sql<{ unreadable: unknown; bet365: unknown; pinnacle: unknown }[]>`
    select metadata -> 'unreadable' as unreadable, metadata -> 'odds' -> 'bet365' as bet365, metadata -> 'odds' -> 'pinnacle' as pinnacle
      from core.event where external_id = 'epl_2019-20_20190810_Crystal_Palace_Everton'`;
  t.same(line6?.unreadable, { B365H: '0.5' }, 'line 6: the unreadable price kept as written');
  t.equal(line6?.bet365, null, "and Bet365's opening prices of that match left out");
  t.ok(line6?.pinnacle, 'the other prices loaded');
});

t.test('nfl_players: a team the schedule does not know is rejected, not created', async (t) => {
  const { sql } = await testDb(t);
  const { header, rows } = await nflLines();
  t.same(counts(await load(sql, 'nfl_games', await tmpFile(t, 'g.csv', [header, rows[0]!].join('\n')))).inserted, 1);
  const [pHeader, ...players] = (await fs.readFile(PLAYERS, 'utf8')).trimEnd().split('\n');
  const kc = players.filter((p) => p.includes(',KC,')).slice(0, 2);
  const moved = kc[1]!.replace(',KC,', ',XYZ,');
  const file = await tmpFile(t, 'p.csv', [pHeader, kc[0]!, moved].join('\n'));
  const batch = await load(sql, 'nfl_players', file);
  t.same(counts(batch), { inserted: 1, updated: 0, unchanged: 0, rejected: 1 });
  const [bad] = await rejected(sql, batch.batch_id);
  t.same([bad?.line_number, bad?.stage], [3, 'merge']);
  t.match(bad?.reason, /team XYZ is not known: NFL teams come from the schedule/);
  const [teams] = await sql<{ n: number }[]>`select count(*)::int as n from core.team where code = 'XYZ'`;
  t.equal(teams?.n, 0, 'no team invented');

  // A changed position updates the roster row.
  const position = pHeader!.split(',').indexOf('position');
  const f = kc[0]!.split(',');
  f[position] = f[position] === 'WR' ? 'TE' : 'WR';
  const again = await load(sql, 'nfl_players', await tmpFile(t, 'p2.csv', [pHeader, f.join(',')].join('\n')));
  t.same(counts(again), { inserted: 0, updated: 1, unchanged: 0, rejected: 0 }, 'a new position is an update');
  const [roster] = await sql<{ position: string }[]>`select position from core.roster`;
  t.equal(roster?.position, f[position]);
});

t.test("a file that is not the feed's format fails whole, and its batch says why", async (t) => {
  const { sql } = await testDb(t);
  const file = await tmpFile(t, 'wrong.csv', 'a,b\n1,2\n');
  await t.rejects(load(sql, 'nfl_games', file), /not a nfl_games file: missing columns game_id, season/);
  const missing = path.join(path.dirname(file), 'nope.csv');
  await t.rejects(load(sql, 'nfl_games', missing), /ENOENT/);
  const batches = await sql<{ status: string; error: string; finished: boolean }[]>`
    select status, error, finished_at is not null as finished from ingest.batch order by batch_id`;
  t.equal(batches.length, 2);
  t.same(
    batches.map((b) => [b.status, b.finished]),
    [
      ['failed', true],
      ['failed', true],
    ],
  );
  t.match(batches[0]?.error, /missing columns/);
  const [events] = await sql<{ n: number }[]>`select count(*)::int as n from core.event`;
  t.equal(events?.n, 0, 'nothing merged');
});

t.test('American odds to decimal odds', async (t) => {
  const { sql } = await testDb(t);
  const [row] = await sql<{ a: string; b: string; c: string; d: string; e: string; f: string | null }[]>`
    select ingest.american_to_decimal(230)::text as a, ingest.american_to_decimal(-285)::text as b,
           ingest.american_to_decimal(100)::text as c, ingest.american_to_decimal(-100)::text as d,
           ingest.american_to_decimal(-148)::text as e, ingest.american_to_decimal(null)::text as f`;
  t.same(row, { a: '3.3000', b: '1.3509', c: '2.0000', d: '2.0000', e: '1.6757', f: null });
  for (const bad of [0, 50, -99]) {
    await rejectsWith(t, sql`select ingest.american_to_decimal(${bad}::int)`, {
      code: 'SL100',
      message: new RegExp(`American odds ${bad} are not a price`),
    });
  }
  t.equal(feeds.nfl_games!.parse({ ...(await sampleGame()), home_moneyline: '-50' }).ok, false, 'the feed refuses them before SQL does');
});

async function sampleGame(): Promise<Record<string, string>> {
  const { header, rows } = await nflLines();
  const names = header.split(',');
  const values = rows[0]!.split(',');
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

t.test('COPY text escaping', async (t) => {
  t.equal(copyText(null), '\\N');
  t.equal(copyText('a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
  t.equal(copyText({ x: 'a\tb' }), '{"x":"a\\\\tb"}');
  t.equal(copyText(false), 'false');
});

t.test('merge functions guard their batch', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`select ingest.merge_nfl_games(424242)`, { code: 'SL101', message: /no ingest batch 424242/ });
  const [b] = await sql<{ id: string }[]>`insert into ingest.batch (feed, location) values ('nfl_games', 'x.csv') returning batch_id as id`;
  await rejectsWith(t, sql`select ingest.merge_football_data(${b!.id})`, {
    code: 'SL102',
    message: /was read by feed nfl_games, not football_data/,
  });
  await sql`select ingest.merge_nfl_games(${b!.id})`;
  await rejectsWith(t, sql`select ingest.merge_nfl_games(${b!.id})`, { code: 'SL103', message: /is already completed/ });
  const [c] = await sql<{ id: string }[]>`insert into ingest.batch (feed, location) values ('nfl_games', 'y.csv') returning batch_id as id`;
  await sql`delete from core.competition where code = 'nfl'`;
  await rejectsWith(t, sql`select ingest.merge_nfl_games(${c!.id})`, { code: 'SL104', message: /competition nfl is not defined/ });
});

t.test('ingest tables refuse bad rows by named constraints', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`insert into ingest.batch (feed, location) values ('nope', 'x')`, { code: '23503', constraint: 'batch_feed_fk' });
  await rejectsWith(t, sql`insert into ingest.batch (feed, location, status, finished_at) values ('nfl_games', 'x', 'done', now())`, {
    code: '23514',
    constraint: 'batch_status_known',
  });
  await rejectsWith(t, sql`insert into ingest.batch (feed, location, inserted) values ('nfl_games', 'x', -1)`, {
    code: '23514',
    constraint: 'batch_counts_non_negative',
  });
  await rejectsWith(t, sql`insert into ingest.batch (feed, location, status) values ('nfl_games', 'x', 'completed')`, {
    code: '23514',
    constraint: 'batch_finished_has_time',
  });
  await rejectsWith(t, sql`insert into ingest.batch (feed, location, status, finished_at) values ('nfl_games', 'x', 'failed', now())`, {
    code: '23514',
    constraint: 'batch_failed_has_error',
  });
  const [b] = await sql<{ id: string }[]>`insert into ingest.batch (feed, location) values ('nfl_games', 'x') returning batch_id as id`;
  const row = (line: number, stage: string, reason: string) =>
    sql`insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason) values (${b!.id}, ${line}, ${stage}, 'raw', ${reason})`;
  await rejectsWith(t, row(0, 'parse', 'r'), { code: '23514', constraint: 'rejected_row_line_number_positive' });
  await rejectsWith(t, row(2, 'guess', 'r'), { code: '23514', constraint: 'rejected_row_stage_known' });
  await rejectsWith(t, row(2, 'parse', ' '), { code: '23514', constraint: 'rejected_row_reason_given' });
  await row(2, 'parse', 'r');
  await rejectsWith(t, row(2, 'validate', 'again'), { code: '23505', constraint: 'rejected_row_one_per_line' });
  await rejectsWith(
    t,
    sql`insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason) values (999999, 2, 'parse', 'r', 'r')`,
    {
      code: '23503',
      constraint: 'rejected_row_batch_fk',
    },
  );
  await rejectsWith(
    t,
    sql`insert into ingest.feed (code, description, staging_table, merge_function) values ('Bad-Feed', 'x', 'ingest.batch', 'x')`,
    {
      code: '23514',
      constraint: 'feed_code_format',
    },
  );
});

t.test('progress is reported while reading, once at the end, and while merging', async (t) => {
  const { sql } = await testDb(t);
  const seen: { rows: number; rejected: number; phase?: string; done: boolean; batch?: unknown }[] = [];
  const batch = await loadFile(sql, feeds.nfl_players!, PLAYERS, {
    progressEvery: 500,
    mergeProgressMs: 1,
    onProgress: (p) =>
      seen.push({ rows: p.rows, rejected: p.rejected, phase: p.phase, done: p.done, ...(p.batch ? { batch: p.batch } : {}) }),
  });
  t.same(
    seen.filter((p) => p.phase === 'read').map((p) => [p.rows, p.done]),
    [
      [500, false],
      [1000, false],
      [1500, false],
      [1997, true],
    ],
  );
  t.equal(seen.filter((p) => p.phase === 'read').at(-1)?.rejected, 1, 'with the rejected count (1 rejected while reading)');
  const merge = seen.filter((p) => p.phase === 'merge').map(({ batch: _batch, ...p }) => p);
  t.same(merge[0], { rows: 1997, rejected: 1, phase: 'merge', done: false }, 'the merge reported when it starts');
  t.same(
    merge.at(-1),
    { rows: 1997, rejected: batch.rejected, phase: 'merge', done: true },
    "and when it ended, last, with the batch's rejected count (reading and merge)",
  );
  t.equal(seen.at(-1)?.batch, batch, 'the last report carries the finished batch');
  const [stats] = await sql<{ columns: number }[]>`
    select count(*)::int as columns from pg_stats where schemaname = 'ingest' and tablename = 'stage_nfl_players' and attname = 'player_id'`;
  t.equal(stats?.columns, 1, 'the merge planned on statistics of the staged rows (ingest.analyze_staging)');
});
