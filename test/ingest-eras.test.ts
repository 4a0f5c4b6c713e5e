// football_data on the real files of every era (test/fixtures/football-data), part 1:
// Belgium 2013-14 (mid-season), 2. Bundesliga 2000-01 (Windows-1252, statistics), Premier
// League 1993-94 (results only, ragged), Championship 2016-17, League One 2020-21 (Avg/Max,
// closing prices, an unreadable price), Conference 2009-10, Ligue 1 2005-06 (BbAv/BbMx),
// Greece 2001-02 (HT/AT). Part 2: test/ingest-eras-2.test.ts.
import t from 'tap';
import { testDb } from './helpers/db.ts';
import { loadEvery } from './helpers/football-data.ts';

const FILES = [
  'B1_2013-14.csv',
  'D2_2000-01.csv',
  'E0_1993-94.csv',
  'E1_2016-17.csv',
  'E2_2020-21.csv',
  'EC_2009-10.csv',
  'F1_2005-06.csv',
  'G1_2001-02.csv',
];

t.test('real football-data files of every era load: 0 rejected, every price, each column group; a re-run changes nothing', async (t) => {
  const { sql } = await testDb(t);
  await loadEvery(t, sql, FILES);

  const meta = async (externalId: string) => {
    const [e] = await sql<{ metadata: Record<string, unknown> & { odds?: Record<string, unknown> }; home: number; away: number }[]>`
      select metadata, home_score as home, away_score as away from core.event where external_id = ${externalId}`;
    return e!;
  };
  // Greece 2001-02: HT / AT are the clubs
  const g1 = await meta('greek_super_league_2001-02_20010922_Olympiakos_Iraklis');
  t.same([g1.home, g1.away], [3, 0], 'G1 (HT/AT): Olympiakos 3-0 Iraklis');
  t.same(g1.metadata.half_time, { home: 2, away: 0 });
  // England 1993-94: no half time, no odds
  const e0 = await meta('epl_1993-94_19930814_Arsenal_Coventry');
  t.same([e0.home, e0.away, e0.metadata.odds, e0.metadata.half_time], [0, 3, undefined, undefined], 'E0 1993-94: result only');
  // France 2005-06: BbAv / BbMx are the averages and maxima
  const f1 = await meta('ligue_1_2005-06_20050729_Paris_SG_Metz');
  t.same(f1.metadata.odds?.market_average, { home: 1.51, draw: 3.45, away: 6.34 }, 'F1: BbAvH/D/A -> market_average');
  t.same(f1.metadata.odds?.market_max, { home: 1.6, draw: 3.85, away: 9 }, 'F1: BbMxH/D/A -> market_max');
  t.same(f1.metadata.odds?.sportingbet, { home: 1.53, draw: 3.4, away: 6 }, 'F1: Sportingbet');
  t.same(
    f1.metadata.statistics,
    {
      home: { shots: 16, shots_on_target: 9, yellow_cards: 2, red_cards: 0 },
      away: { shots: 11, shots_on_target: 7, yellow_cards: 3, red_cards: 0 },
    },
    'F1: match statistics',
  );
  // Germany 2000-01: Windows-1252 text, attendance, woodwork, booking points
  const d2 = await meta('bundesliga_2_2000-01_20010520_Stuttgarter_K_Ulm');
  t.equal(d2.metadata.referee, 'Günter Perl', 'D2: a Windows-1252 line read as such');
  t.match(d2.metadata.statistics, { attendance: 4188, home: { hit_woodwork: 1, booking_points: 30, offsides: 3 } });
  // League One 2020-21: Avg / Max, closing prices of every bookmaker, and an unreadable price kept
  const e2 = await meta('efl_league_one_2020-21_20201205_Sunderland_Wigan');
  t.same(e2.metadata.unreadable, { B365H: '0' }, 'E2 line 184: B365H 0 is kept as written, not loaded');
  t.equal(e2.metadata.odds?.bet365, undefined, 'and Bet365 opening prices left out of that match');
  t.same(
    e2.metadata.odds?.william_hill_closing !== undefined && e2.metadata.odds?.market_average_closing !== undefined,
    true,
    'closing prices',
  );
});
