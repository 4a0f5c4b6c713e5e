// Feed nfl_games: NFL schedules and results in nflverse games.csv format.
//
// One row per game. Validation here is about the row alone (dates, scores, odds, a
// game type the NFL uses); what needs the database happens in the SQL merge
// (sql/071_ingest_nfl_games.sql, ingest.merge_nfl_games):
// - teams: an abbreviation not yet in core.team is CREATED (the schedule is the
//   authority on which teams exist); the roster feed, in contrast, rejects them;
// - seasons 2024, 2025, ... are created, the latest in the file becomes current;
// - a game is completed when both scores are present, scheduled otherwise;
// - moneylines (American odds) are converted to decimal odds in
//   core.event.metadata->'odds'->'consensus' by ingest.american_to_decimal.
import { z } from 'zod';
import {
  defineFeed,
  inPlausibleYears,
  int,
  isoDate,
  optionalAmericanOdds,
  optionalClock,
  optionalDecimalIn,
  optionalFlag,
  optionalInt,
  optionalText,
  type BatchRow,
} from './feed.ts';

const team = z
  .string()
  .trim()
  .regex(/^[A-Z]{2,3}$/, 'is not a team abbreviation (2-3 capital letters)');

const schema = z
  .object({
    game_id: z
      .string()
      .trim()
      .regex(/^\d{4}_\d{2}_[A-Z]{2,3}_[A-Z]{2,3}$/, 'is not a game id like 2024_01_BAL_KC'),
    season: int(1920, 2100).transform(String),
    game_type: z.enum(['REG', 'WC', 'DIV', 'CON', 'SB'], 'is not a game type (REG, WC, DIV, CON, SB)'),
    week: int(1, 22),
    gameday: inPlausibleYears(isoDate, 1920, 'NFL'), // the league's first season
    gametime: optionalClock,
    away_team: team,
    away_score: optionalInt(0, 200),
    home_team: team,
    home_score: optionalInt(0, 200),
    away_moneyline: optionalAmericanOdds,
    home_moneyline: optionalAmericanOdds,
    spread_line: optionalDecimalIn(-100, 100),
    total_line: optionalDecimalIn(0, 200),
    overtime: optionalFlag,
    location: optionalText,
    stadium: optionalText,
    roof: optionalText,
    surface: optionalText,
  })
  .superRefine((row, ctx) => {
    if (row.home_team === row.away_team) {
      ctx.addIssue({ code: 'custom', path: ['away_team'], message: 'is the home team too' });
    }
    const expected = `${row.season}_${String(row.week).padStart(2, '0')}_${row.away_team}_${row.home_team}`;
    if (row.game_id !== expected) {
      ctx.addIssue({ code: 'custom', path: ['game_id'], message: `does not match season, week and teams (${expected})` });
    }
    if ((row.home_score === null) !== (row.away_score === null)) {
      ctx.addIssue({ code: 'custom', path: ['home_score'], message: 'a played game has both scores, an unplayed one neither' });
    }
  });

export const nflGames = defineFeed({
  code: 'nfl_games',
  description: 'NFL schedules and results (nflverse games.csv)',
  format: 'csv',
  requiredColumns: ['game_id', 'season', 'game_type', 'week', 'gameday', 'gametime', 'away_team', 'away_score', 'home_team', 'home_score'],
  stagingTable: 'ingest.stage_nfl_games',
  schema,
  columns: [
    'game_id',
    'season',
    'game_type',
    'week',
    'gameday',
    'gametime',
    'away_team',
    'away_score',
    'home_team',
    'home_score',
    'away_moneyline',
    'home_moneyline',
    'spread_line',
    'total_line',
    'overtime',
    'location',
    'stadium',
    'roof',
    'surface',
  ],
  chunkable: true,
  async merge(tx, batchId, final) {
    const [batch] = await tx<BatchRow[]>`select * from ingest.merge_nfl_games(${batchId}, ${final})`;
    return batch!;
  },
});
