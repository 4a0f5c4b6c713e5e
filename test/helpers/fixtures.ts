// Fixtures written with plain SQL into the real schema, nothing mocked: a league (a
// competition of its own sport with a current season, weeks and teams), scheduled games
// with a match_result market, events and markets of any type, models, users, picks and
// results, players on rosters; and `eventually` for tests that wait for a state.
import type { Sql } from '../../src/db.ts';

export interface Game {
  event_id: number;
  market_id: number;
  home: number;
  draw: number;
  away: number;
}

export interface League {
  sportId: number;
  competitionId: number;
  seasonId: number;
  teams: number[];
}

export interface LeagueOpts {
  /** The competition's code (its sport is <code>_sport, its teams <code>_T1 …); unique by default. */
  code?: string;
  /** The season's label; default 2024. */
  season?: string;
  /** Whether the season is the current one; default true. */
  current?: boolean;
  /** Weeks 1..weeks; default 4. */
  weeks?: number;
  /** Default 4. */
  teams?: number;
}

let counter = 0;
const uniq = (): string => `${process.pid}_${++counter}`;

/** A sport, a competition, a (current) season with weeks 1..n and its teams. */
export async function league(sql: Sql, opts: LeagueOpts = {}): Promise<League> {
  const code = opts.code ?? `s${uniq()}`.toLowerCase();
  const [sport] = await sql<{ id: number }[]>`
    insert into core.sport (code, name) values (${`${code}_sport`}, ${`${code} sport`}) returning sport_id as id`;
  const [comp] = await sql<{ id: number }[]>`
    insert into core.competition (sport_id, code, name) values (${sport!.id}, ${code}, ${'League ' + code}) returning competition_id as id`;
  const [season] = await sql<{ id: number }[]>`
    insert into core.season (competition_id, label, is_current)
    values (${comp!.id}, ${opts.season ?? '2024'}, ${opts.current ?? true}) returning season_id as id`;
  await sql`insert into core.week (season_id, week_number, label)
            select ${season!.id}, n, 'Week ' || n from generate_series(1, ${opts.weeks ?? 4}) n`;
  const teams = await sql<{ id: number }[]>`
    insert into core.team (sport_id, code, name)
    select ${sport!.id}, ${code} || '_T' || n, ${code} || ' team ' || n from generate_series(1, ${opts.teams ?? 4}) n
    returning team_id as id`;
  return { sportId: sport!.id, competitionId: comp!.id, seasonId: season!.id, teams: teams.map((t) => t.id) };
}

/** `n` scheduled games starting tomorrow, each with a match_result market (home, draw, away). */
export async function games(sql: Sql, lg: League, n: number, prefix = 'g'): Promise<Game[]> {
  const out: Game[] = [];
  for (let i = 0; i < n; i++) {
    const home = lg.teams[(2 * i) % lg.teams.length]!;
    const away = lg.teams[(2 * i + 1) % lg.teams.length]!;
    const [ev] = await sql<{ event_id: number }[]>`
      insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
      values (${`${prefix}_${lg.competitionId}_${i}`}, 'game', ${lg.competitionId}, ${lg.seasonId}, 1, now() + interval '1 day', ${home}, ${away})
      returning event_id::int`;
    const [mk] = await sql<{ market_id: number }[]>`
      insert into market.market (event_id, market_type) values (${ev!.event_id}, 'match_result') returning market_id::int`;
    const sels = await sql<{ code: string; selection_id: number }[]>`
      insert into market.selection (market_id, code, label, team_id)
      values (${mk!.market_id}, 'home', 'Home', ${home}), (${mk!.market_id}, 'draw', 'Draw', null), (${mk!.market_id}, 'away', 'Away', ${away})
      returning code, selection_id::int`;
    const by = Object.fromEntries(sels.map((s) => [s.code, s.selection_id]));
    out.push({ event_id: ev!.event_id, market_id: mk!.market_id, home: by.home!, draw: by.draw!, away: by.away! });
  }
  return out;
}

export async function models(sql: Sql, names: string[]): Promise<number[]> {
  const rows = await sql<{ forecaster_id: number }[]>`
    insert into forecast.forecaster (kind, name, version, model_type)
    select 'model', n, '1', 'test' from unnest(${names}::text[]) n
    returning forecaster_id::int`;
  return rows.map((r) => r.forecaster_id);
}

export async function predict(sql: Sql, forecaster: number, selection: number, odds = 2.5, stake = 1): Promise<void> {
  await sql`insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability)
            values (${forecaster}, ${selection}, ${odds}, ${stake}, 0.4)`;
}

/** Poll `check` until it returns true or `seconds` pass; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, seconds = 30, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
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
