// The real football-data files of test/fixtures/football-data (copies of
// ../shared/data/football-data) and what they hold, recomputed from their raw text without
// the feed: matches per file, and the 1X2 prices of every source as odds snapshots.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import type { Sql } from '../../src/db.ts';
import { repoRoot } from '../../src/embedded.ts';
import type { BatchRow } from '../../src/ingest/feed.ts';
import { feeds, loadFile } from '../../src/ingest/load.ts';

export const FOOTBALL_DATA_DIR = path.join(repoRoot, 'test/fixtures/football-data');
const file = (name: string) => path.join(FOOTBALL_DATA_DIR, name);
const counts = (b: BatchRow) => ({ inserted: b.inserted, updated: b.updated, unchanged: b.unchanged, rejected: b.rejected });

/** Matches per file: the data/README.md table. */
export const MATCHES: Record<string, { matches: number; competition: string; season: string }> = {
  'B1_2013-14.csv': { matches: 144, competition: 'belgian_pro_league', season: '2013-14' },
  'D2_2000-01.csv': { matches: 306, competition: 'bundesliga_2', season: '2000-01' },
  'E0_1993-94.csv': { matches: 462, competition: 'epl', season: '1993-94' },
  'E1_2016-17.csv': { matches: 552, competition: 'efl_championship', season: '2016-17' },
  'E2_2020-21.csv': { matches: 257, competition: 'efl_league_one', season: '2020-21' },
  'EC_2009-10.csv': { matches: 506, competition: 'national_league', season: '2009-10' },
  'F1_2005-06.csv': { matches: 380, competition: 'ligue_1', season: '2005-06' },
  'G1_2001-02.csv': { matches: 182, competition: 'greek_super_league', season: '2001-02' },
  'I1_2003-04.csv': { matches: 306, competition: 'serie_a', season: '2003-04' },
  'N1_2002-03.csv': { matches: 306, competition: 'eredivisie', season: '2002-03' },
  'P1_2010-11.csv': { matches: 240, competition: 'primeira_liga', season: '2010-11' },
  'SC0_1996-97.csv': { matches: 180, competition: 'scottish_premiership', season: '1996-97' },
  'SP1_2011-12.csv': { matches: 380, competition: 'la_liga', season: '2011-12' },
  'T1_2007-08.csv': { matches: 306, competition: 'super_lig', season: '2007-08' },
};

/** The file's lines as plain comma-split fields (none of these files quotes a field), without the reader. */
async function rawRows(name: string): Promise<{ header: string[]; rows: string[][] }> {
  const text = (await fs.readFile(file(name))).toString('latin1');
  const [header, ...rows] = text.split(/\r?\n/).map((l) => l.split(','));
  return { header: header!, rows: rows.filter((r) => (r[0] ?? '').trim() !== '') };
}

/** 1X2 prices the file holds, recomputed from its raw text: column prefixes -> source, 3 snapshots per complete group. */
const PRICE_PREFIXES: Record<string, string[]> = {
  bet365: ['B365'],
  bet_and_win: ['BW'],
  blue_square: ['BS'],
  gamebookers: ['GB'],
  interwetten: ['IW'],
  ladbrokes: ['LB'],
  pinnacle: ['PS'],
  sporting_odds: ['SO'],
  sportingbet: ['SB'],
  stan_james: ['SJ'],
  stanleybet: ['SY'],
  vc_bet: ['VC'],
  william_hill: ['WH'],
  market_average: ['Avg', 'BbAv'],
  market_max: ['Max', 'BbMx'],
};

async function expectedSnapshots(name: string): Promise<Record<string, number>> {
  const { header, rows } = await rawRows(name);
  const out: Record<string, number> = {};
  for (const row of rows) {
    const get = (c: string) => (header.indexOf(c) >= 0 ? (row[header.indexOf(c)] ?? '').trim() : '');
    for (const [source, prefixes] of Object.entries(PRICE_PREFIXES)) {
      for (const closing of ['', 'C']) {
        const prefix = prefixes.find((p) => ['H', 'D', 'A'].every((s) => Number(get(`${p}${closing}${s}`)) > 1));
        if (prefix) out[source] = (out[source] ?? 0) + 3;
      }
    }
  }
  return out;
}

/**
 * Load each file: every match, none rejected, in its competition and season, every price
 * as snapshots; then each again: unchanged, nothing added.
 */
export async function loadEvery(t: Test, sql: Sql, names: string[]): Promise<void> {
  for (const name of names) {
    const want = MATCHES[name]!;
    const { rows } = await rawRows(name);
    t.equal(rows.length, want.matches, `${name}: ${want.matches} matches in the raw file`);
    const before = await sql<{ code: string; n: number }[]>`
      select s.code, count(*)::int as n from market.odds_history o join market.source s using (source_id) group by s.code`;
    const batch = await loadFile(sql, feeds.football_data!, file(name));
    t.same(counts(batch), { inserted: want.matches, updated: 0, unchanged: 0, rejected: 0 }, `${name}: every match, none rejected`);
    const [season] = await sql<{ n: number }[]>`
      select count(*)::int as n from core.event e join core.season s using (season_id) join core.competition c on c.competition_id = e.competition_id
       where c.code = ${want.competition} and s.label = ${want.season}`;
    t.equal(season?.n, want.matches, `${name}: in ${want.competition} ${want.season}`);
    const after = await sql<{ code: string; n: number }[]>`
      select s.code, count(*)::int as n from market.odds_history o join market.source s using (source_id) group by s.code`;
    const was = Object.fromEntries(before.map((r) => [r.code, r.n]));
    const added = Object.fromEntries(after.map((r) => [r.code, r.n - (was[r.code] ?? 0)]).filter(([, n]) => n !== 0));
    t.same(added, await expectedSnapshots(name), `${name}: every 1X2 price of every source as snapshots`);
  }
  const [events] = await sql<{ n: number }[]>`select count(*)::int as n from core.event`;
  const [snapshots] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_history`;
  for (const name of names) {
    t.same(
      counts(await loadFile(sql, feeds.football_data!, file(name))),
      { inserted: 0, updated: 0, unchanged: MATCHES[name]!.matches, rejected: 0 },
      `${name} again: unchanged`,
    );
  }
  t.same(await sql`select count(*)::int as n from core.event`, [events], 'no event added by the re-runs');
  t.same(await sql`select count(*)::int as n from market.odds_history`, [snapshots], 'no snapshot added by the re-runs');
}
