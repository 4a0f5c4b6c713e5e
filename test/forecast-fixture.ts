// Generated fixture data for the forecast, settlement, stats and pick'em tests:
// a sport, a competition with a current season, teams, players on rosters, and
// events with their markets and selections, written through plain SQL.
import type { Sql } from '../src/db.ts';

export interface League {
  sportId: number;
  competitionId: number;
  seasonId: number;
  teams: number[];
}

let counter = 0;
const uniq = (): string => `${process.pid}_${++counter}`;

/** A sport, a competition, a (current) season with weeks 1..n and `teamCount` teams. */
export async function league(
  sql: Sql,
  opts: { sport?: string; kind?: 'football' | 'american_football' | 'racing'; current?: boolean; teams?: number; weeks?: number } = {},
): Promise<League> {
  const code = `s${uniq()}`.toLowerCase();
  const [sport] = await sql<{ id: number }[]>`
    insert into core.sport (code, name) values (${code}, ${code}) returning sport_id as id`;
  const [comp] = await sql<{ id: number }[]>`
    insert into core.competition (sport_id, code, name) values (${sport!.id}, ${'c' + code}, ${'League ' + code}) returning competition_id as id`;
  const [season] = await sql<{ id: number }[]>`
    insert into core.season (competition_id, label, is_current) values (${comp!.id}, '2024', ${opts.current ?? true}) returning season_id as id`;
  await sql`insert into core.week (season_id, week_number, label)
            select ${season!.id}, n, 'Week ' || n from generate_series(1, ${opts.weeks ?? 4}) n`;
  const teams = await sql<{ id: number }[]>`
    insert into core.team (sport_id, code, name)
    select ${sport!.id}, 'T' || n, 'Team ' || n from generate_series(1, ${opts.teams ?? 4}) n
    returning team_id as id`;
  return { sportId: sport!.id, competitionId: comp!.id, seasonId: season!.id, teams: teams.map((t) => t.id) };
}

export interface EventOpts {
  kind?: 'match' | 'game' | 'race';
  home?: number;
  away?: number;
  week?: number | null;
  /** Scheduled start; default 2024-09-08 18:00 UTC (in the past: predictions must be back-dated). */
  start?: string;
  seasonId?: number;
}

export async function event(sql: Sql, lg: League, opts: EventOpts = {}): Promise<number> {
  const kind = opts.kind ?? 'match';
  const [ev] = await sql<{ id: string }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    values (${'ev_' + uniq()}, ${kind}, ${lg.competitionId}, ${opts.seasonId ?? lg.seasonId},
            ${opts.week === undefined ? 1 : opts.week}, ${opts.start ?? '2024-09-08T18:00:00Z'},
            ${kind === 'race' ? null : (opts.home ?? lg.teams[0]!)}, ${kind === 'race' ? null : (opts.away ?? lg.teams[1]!)})
    returning event_id as id`;
  return Number(ev!.id);
}

/** A market with selections given by code (and optional player / runner). Returns the market id and selection ids by code. */
export async function market(
  sql: Sql,
  eventId: number,
  type: string,
  selections: { code: string; playerId?: number; runnerId?: number }[],
  places?: number,
): Promise<{ marketId: number; sel: Record<string, number> }> {
  const [m] = await sql<{ id: string }[]>`
    insert into market.market (event_id, market_type, places) values (${eventId}, ${type}, ${places ?? null}) returning market_id as id`;
  const sel: Record<string, number> = {};
  for (const s of selections) {
    const [row] = await sql<{ id: string }[]>`
      insert into market.selection (market_id, code, label, player_id, runner_id)
      values (${m!.id}, ${s.code}, ${s.code}, ${s.playerId ?? null}, ${s.runnerId ?? null}) returning selection_id as id`;
    sel[s.code] = Number(row!.id);
  }
  return { marketId: Number(m!.id), sel };
}

export const matchResult = (sql: Sql, eventId: number) =>
  market(sql, eventId, 'match_result', [{ code: 'home' }, { code: 'draw' }, { code: 'away' }]);

export async function model(sql: Sql, name: string, version = '1'): Promise<number> {
  const [f] = await sql<{ id: string }[]>`
    insert into forecast.forecaster (kind, name, version, model_type) values ('model', ${name}, ${version}, 'test') returning forecaster_id as id`;
  return Number(f!.id);
}

export async function user(sql: Sql, handle: string): Promise<number> {
  const [f] = await sql<{ id: string }[]>`
    insert into forecast.forecaster (kind, name, handle) values ('user', ${handle}, ${handle}) returning forecaster_id as id`;
  return Number(f!.id);
}

export interface PickOpts {
  odds?: number | null;
  stake?: number;
  probability?: number | null;
  /** Default: a day before 2024-09-08, i.e. before the fixture events' default start. */
  at?: string;
}

export async function pick(sql: Sql, forecasterId: number, selectionId: number, o: PickOpts = {}): Promise<number> {
  const [p] = await sql<{ id: string }[]>`
    insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability, predicted_at)
    values (${forecasterId}, ${selectionId}, ${o.odds ?? null}, ${o.stake ?? 1}, ${o.probability ?? null}, ${o.at ?? '2024-09-07T12:00:00Z'})
    returning prediction_id as id`;
  return Number(p!.id);
}

export async function complete(sql: Sql, eventId: number, home: number | null, away: number | null): Promise<void> {
  await sql`update core.event set status = 'completed', home_score = ${home}, away_score = ${away} where event_id = ${eventId}`;
}

export async function player(sql: Sql, lg: League, name: string, team?: number, position?: string): Promise<number> {
  const [p] = await sql<{ id: string }[]>`
    insert into core.player (sport_id, external_id, full_name) values (${lg.sportId}, ${'p_' + uniq()}, ${name}) returning player_id as id`;
  if (team !== undefined && position) {
    await sql`insert into core.roster (season_id, team_id, player_id, position) values (${lg.seasonId}, ${team}, ${p!.id}, ${position})`;
  }
  return Number(p!.id);
}
