// Feed nfl_players: NFL players of a season with their team and position, nflverse
// player stats format (player_id is the GSIS id, e.g. 00-0023459).
//
// Each row becomes a core.player (by GSIS id) and a core.roster row for the season with
// the position and recent_team: rosters are the single source of truth for positions.
// Teams: a recent_team not in core.team is REJECTED (ingest.merge_nfl_players), not
// created: teams come from the schedule (feed nfl_games), so load that first. Rows
// without a player id (nflverse's team-total rows) are rejected by validation.
import { z } from 'zod';
import { defineFeed, int, optionalInt, optionalText, text, type BatchRow } from './feed.ts';

const schema = z
  .object({
    player_id: z
      .string()
      .trim()
      .regex(/^\d{2}-\d{7}$/, 'is not a GSIS player id like 00-0023459'),
    player_display_name: text,
    position: z
      .string()
      .trim()
      .regex(/^[A-Z][A-Z0-9/]{0,7}$/, 'is not a position code (QB, RB, WR, ...)'),
    position_group: optionalText,
    season: int(1920, 2100).transform(String),
    season_type: z.enum(['REG', 'POST', 'REG+POST'], 'is not a season type (REG, POST)'),
    recent_team: z
      .string()
      .trim()
      .regex(/^[A-Z]{2,3}$/, 'is not a team abbreviation (2-3 capital letters)'),
    games: optionalInt(0, 30),
  })
  .transform((row) => ({
    player_id: row.player_id,
    display_name: row.player_display_name,
    position: row.position,
    position_group: row.position_group,
    season: row.season,
    season_type: row.season_type,
    recent_team: row.recent_team,
    games: row.games,
  }));

export const nflPlayers = defineFeed({
  code: 'nfl_players',
  description: 'NFL players and their season roster: team and position (nflverse player stats)',
  format: 'csv',
  requiredColumns: ['player_id', 'player_display_name', 'position', 'season', 'season_type', 'recent_team'],
  stagingTable: 'ingest.stage_nfl_players',
  schema,
  columns: ['player_id', 'display_name', 'position', 'position_group', 'season', 'season_type', 'recent_team', 'games'],
  chunkable: true,
  async merge(tx, batchId, final) {
    const [batch] = await tx<BatchRow[]>`select * from ingest.merge_nfl_players(${batchId}, ${final})`;
    return batch!;
  },
});
