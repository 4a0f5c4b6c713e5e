// Feed football_data: football results with bookmaker odds, football-data.co.uk format
// (one file per league and season, e.g. E0 = Premier League 2019-20).
//
// Row-level validation here: the day-first date (dd/mm/yyyy or dd/mm/yy), the kick-off
// time when the file has a Time column (UK local), goals and a result (FTR) that agrees
// with them, and decimal prices. The bookmakers' prices are kept as decimal odds in
// core.event.metadata->'odds' by source: bet365, pinnacle, market_average, market_max,
// each also as *_closing (the bookmaker_favourite model reads them there), and go into
// market.odds_snapshot through copyOddsSnapshots, in the load's transaction, one row per
// match_result selection and source: opening prices observed at kick-off - 48 h, closing
// prices at kick-off - 5 min (ingest.football_data_odds_snapshots; already loaded
// snapshots are skipped, so a re-run copies none). The SQL merge (ingest.merge_football_data)
// does the rest:
// - clubs: a club not yet in core.team is CREATED under its short name ("Man United"):
//   a league's results file is the authority on which clubs play in it; a division code
//   not mapped in ingest.competition_code is rejected;
// - the season is named by the file's first match (2019-08-09 -> 2019-20);
// - matchdays 1..38 are derived from each club's match order (see the function).
import { z } from 'zod';
import { copyOddsSnapshots } from './odds-copy.ts';
import { dayFirstDate, defineFeed, optionalClock, optionalDecimalOdds, optionalInt, optionalText, text, type BatchRow } from './feed.ts';

/** Source code in core.event.metadata->'odds' -> the file's column prefix for H/D/A. */
const PRICES = {
  bet365: 'B365',
  bet365_closing: 'B365C',
  pinnacle: 'PS',
  pinnacle_closing: 'PSC',
  market_average: 'Avg',
  market_average_closing: 'AvgC',
  market_max: 'Max',
  market_max_closing: 'MaxC',
} as const;

const oddsColumns = Object.fromEntries(
  Object.values(PRICES).flatMap((prefix) => ['H', 'D', 'A'].map((side) => [`${prefix}${side}`, optionalDecimalOdds])),
);

type Prices = Record<string, { home: number; draw: number; away: number }>;

const schema = z
  .object({
    Div: text,
    Date: dayFirstDate,
    Time: optionalClock,
    HomeTeam: text,
    AwayTeam: text,
    FTHG: optionalInt(0, 99),
    FTAG: optionalInt(0, 99),
    FTR: z.preprocess((v) => (v === '' ? null : v), z.enum(['H', 'D', 'A'], 'is not a result (H, D or A)').nullish()),
    HTHG: optionalInt(0, 99),
    HTAG: optionalInt(0, 99),
    Referee: optionalText,
    ...oddsColumns,
  })
  .superRefine((row, ctx) => {
    if (row.HomeTeam === row.AwayTeam) ctx.addIssue({ code: 'custom', path: ['AwayTeam'], message: 'is the home team too' });
    const home = row.FTHG;
    const away = row.FTAG;
    if ((home === null) !== (away === null)) {
      ctx.addIssue({ code: 'custom', path: ['FTHG'], message: 'a played match has both FTHG and FTAG, an unplayed one neither' });
    } else if (home !== null && away !== null && row.FTR) {
      const result = home > away ? 'H' : home < away ? 'A' : 'D';
      if (row.FTR !== result) ctx.addIssue({ code: 'custom', path: ['FTR'], message: `does not agree with the score ${home}-${away}` });
    }
  })
  .transform((row) => {
    const values = row as Record<string, unknown>;
    const odds: Prices = {};
    for (const [source, prefix] of Object.entries(PRICES)) {
      const [h, d, a] = ['H', 'D', 'A'].map((side) => values[`${prefix}${side}`]);
      if (typeof h === 'number' && typeof d === 'number' && typeof a === 'number') odds[source] = { home: h, draw: d, away: a };
    }
    return {
      division: row.Div,
      match_date: row.Date,
      kickoff: row.Time,
      home_team: row.HomeTeam,
      away_team: row.AwayTeam,
      home_goals: row.FTHG,
      away_goals: row.FTAG,
      half_time_home_goals: row.HTHG,
      half_time_away_goals: row.HTAG,
      referee: row.Referee,
      odds,
    };
  });

export const footballData = defineFeed({
  code: 'football_data',
  description: 'Football results with bookmaker odds (football-data.co.uk)',
  format: 'csv',
  requiredColumns: ['Div', 'Date', 'HomeTeam', 'AwayTeam', 'FTHG', 'FTAG'],
  stagingTable: 'ingest.stage_football_data',
  schema,
  columns: [
    'division',
    'match_date',
    'kickoff',
    'home_team',
    'away_team',
    'home_goals',
    'away_goals',
    'half_time_home_goals',
    'half_time_away_goals',
    'referee',
    'odds',
  ],
  chunkable: false,
  async merge(tx, batchId, final) {
    const [batch] = await tx<BatchRow[]>`select * from ingest.merge_football_data(${batchId}, ${final})`;
    const prices = await tx<{ observed_at: Date; selection_id: string; source_id: number; price: string }[]>`
      select observed_at, selection_id, source_id, price::text from ingest.football_data_odds_snapshots()`;
    await copyOddsSnapshots(
      tx,
      prices.map((p) => ({
        observedAt: p.observed_at,
        selectionId: p.selection_id,
        sourceId: p.source_id,
        backPrice: p.price,
        lastTradedPrice: p.price,
      })),
    );
    return batch!;
  },
});
