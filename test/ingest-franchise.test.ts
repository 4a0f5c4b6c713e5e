// NFL franchises over time on a real season (test/fixtures/nfl_games_2015.csv, a copy of
// ../shared/data/nfl_games_2015.csv): nflverse keeps the abbreviation of the season (STL,
// SD, OAK in 2015; LA, LAC, LV later), and a franchise is one team whose former codes are
// core.team_alias rows, so its games and statistics follow it across seasons.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import type { BatchRow } from '../src/ingest/feed.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

const NFL_2015 = path.join(repoRoot, 'test/fixtures/nfl_games_2015.csv');
const NFL_2024 = path.join(repoRoot, 'data/nfl_games_2024_2025.csv');
const counts = (b: BatchRow) => ({ inserted: b.inserted, updated: b.updated, unchanged: b.unchanged, rejected: b.rejected });

/** Games per abbreviation in a file, from its raw text (no feed). */
async function gamesByCode(file: string): Promise<{ games: number; byCode: Record<string, number> }> {
  const [header, ...lines] = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
  const cols = header!.split(',');
  const byCode: Record<string, number> = {};
  for (const line of lines) {
    const f = line.split(',');
    for (const c of ['home_team', 'away_team']) byCode[f[cols.indexOf(c)]!] = (byCode[f[cols.indexOf(c)]!] ?? 0) + 1;
  }
  return { games: lines.length, byCode };
}

t.test('2015 and 2024-25: 32 teams, the Rams, Chargers and Raiders each one franchise', async (t) => {
  const { sql } = await testDb(t);
  const y2015 = await gamesByCode(NFL_2015);
  const y2024 = await gamesByCode(NFL_2024);
  t.ok(y2015.byCode.STL && y2015.byCode.SD && y2015.byCode.OAK, 'the 2015 file has STL, SD and OAK');

  const first = await loadFile(sql, feeds.nfl_games!, NFL_2015);
  t.same(counts(first), { inserted: y2015.games, updated: 0, unchanged: 0, rejected: 0 }, `2015: ${y2015.games} games, none rejected`);
  const later = await loadFile(sql, feeds.nfl_games!, NFL_2024);
  t.same(counts(later), { inserted: y2024.games, updated: 0, unchanged: 0, rejected: 0 });

  const teams = await sql<{ code: string }[]>`
    select t.code from core.team t join core.sport s using (sport_id) where s.code = 'american_football' order by t.code`;
  t.equal(teams.length, 32, '32 teams, not 35');
  t.notOk(
    teams.some((x) => ['STL', 'SD', 'OAK'].includes(x.code)),
    'no team STL, SD or OAK: they are former codes',
  );

  const bySeason = await sql<{ team: string; season: string; games: number }[]>`
    select t.code as team, se.label as season, count(*)::int as games
      from core.event e
      join core.season se using (season_id)
      join core.team t on t.team_id in (e.home_team_id, e.away_team_id)
     where t.code in ('LA', 'LAC', 'LV')
     group by 1, 2 order by 1, 2`;
  const games = (team: string, season: string) => bySeason.find((r) => r.team === team && r.season === season)?.games;
  t.equal(games('LA', '2015'), y2015.byCode.STL, 'the St. Louis Rams of 2015 are the team LA');
  t.equal(games('LAC', '2015'), y2015.byCode.SD, 'the San Diego Chargers of 2015 are the team LAC');
  t.equal(games('LV', '2015'), y2015.byCode.OAK, 'the Oakland Raiders of 2015 are the team LV');
  t.equal((games('LV', '2024') ?? 0) + (games('LV', '2025') ?? 0), y2024.byCode.LV, 'and the same team in 2024 and 2025');

  const [name] = await sql<{ name: string }[]>`select name from core.event where external_id = '2015_01_CIN_OAK'`;
  t.equal(name?.name, 'CIN @ OAK', "the game keeps the season's name");

  const again = await loadFile(sql, feeds.nfl_games!, NFL_2015);
  t.same(counts(again), { inserted: 0, updated: 0, unchanged: y2015.games, rejected: 0 }, '2015 again: unchanged');
});

t.test('nfl_players: a former code in its season is the franchise; after it, unknown', async (t) => {
  const { sql } = await testDb(t);
  await loadFile(sql, feeds.nfl_games!, NFL_2015);
  const [pHeader, ...players] = (await fs.readFile(path.join(repoRoot, 'data/nfl_players_2024.csv'), 'utf8')).trimEnd().split('\n');
  // (quoted URLs hold commas: the season, season_type and recent_team run ",2024,REG,LV,")
  const lv = players.find((p) => p.includes(',2024,REG,LV,'))!;
  const as = (season: string, team: string) => lv.replace(',2024,REG,LV,', `,${season},REG,${team},`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-franchise-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'players.csv');
  await fs.writeFile(file, [pHeader, as('2015', 'OAK')].join('\n'));
  const b2015 = await loadFile(sql, feeds.nfl_players!, file);
  t.same(counts(b2015), { inserted: 1, updated: 0, unchanged: 0, rejected: 0 }, 'OAK in 2015: the Raiders');
  const [roster] = await sql<{ team: string; season: string }[]>`
    select t.code as team, s.label as season from core.roster r join core.team t using (team_id) join core.season s using (season_id)`;
  t.same(roster, { team: 'LV', season: '2015' }, 'on the franchise team LV');

  await fs.writeFile(file, [pHeader, as('2021', 'OAK')].join('\n'));
  const b2021 = await loadFile(sql, feeds.nfl_players!, file);
  t.same(counts(b2021), { inserted: 0, updated: 0, unchanged: 0, rejected: 1 }, 'OAK in 2021 means no team');
});

t.test('a code means one team of a sport in a season', async (t) => {
  const { sql } = await testDb(t);
  const [lv] = await sql<{ id: number }[]>`select team_id as id from core.team where code = 'LV'`;
  const [la] = await sql<{ id: number }[]>`select team_id as id from core.team where code = 'LA'`;
  const alias = await sql<{ code: string; to: number }[]>`
    select a.code, a.valid_to_season as to from core.team_alias a join core.team t using (team_id) order by a.code`;
  t.same(
    alias.map((a) => [a.code, a.to]),
    [
      ['OAK', 2019],
      ['SD', 2016],
      ['STL', 2015],
    ],
    'the three relocations',
  );
  await rejectsWith(
    t,
    sql`insert into core.team_alias (team_id, code, valid_from_season, valid_to_season) values (${la!.id}, 'OAK', 2010, 2012)`,
    {
      code: 'SL111',
      message: /code OAK already means team LV in seasons -2019/,
    },
  );
  await rejectsWith(
    t,
    sql`insert into core.team_alias (team_id, code, valid_from_season, valid_to_season) values (${lv!.id}, 'LVR', 2030, 2020)`,
    {
      code: '23514',
      constraint: 'team_alias_seasons_ordered',
    },
  );
  await rejectsWith(
    t,
    sql`insert into core.team_alias (team_id, code, valid_from_season, valid_to_season) values (${lv!.id}, 'OAK', 2010, 2019)`,
    {
      code: '23505',
      constraint: 'team_alias_pkey',
    },
  );
  await rejectsWith(t, sql`insert into core.team_alias (team_id, code, valid_to_season) values (${lv!.id}, ' ', 2000)`, {
    code: '23514',
    constraint: 'team_alias_code_given',
  });
  await rejectsWith(t, sql`insert into core.team_alias (team_id, code, valid_to_season) values (999999, 'XX', 2000)`, {
    code: '23503',
    constraint: 'team_alias_team_fk',
  });
  // the Raiders were the Los Angeles Raiders 1982-1994 (LA): allowed, the Rams' LA is their own code
  await sql`insert into core.team_alias (team_id, code, valid_from_season, valid_to_season) values (${lv!.id}, 'RAI', 1982, 1994)`;
  const [found] = await sql<{ a: number; b: number; c: number | null }[]>`
    select core.team_for_code(t.sport_id, 'RAI', 1990) as a, core.team_for_code(t.sport_id, 'OAK', 2019) as b,
           core.team_for_code(t.sport_id, 'OAK', 2020) as c
      from core.team t where t.team_id = ${lv!.id}`;
  t.same(found, { a: lv!.id, b: lv!.id, c: null }, 'core.team_for_code by season');
});
