// Small, explicit fixtures written with plain SQL: a competition with a current
// season, teams, scheduled games with a match_result market, and model forecasters.
import type { Sql } from '../../src/db.ts';

export interface Game {
  event_id: number;
  market_id: number;
  home: number;
  draw: number;
  away: number;
}

export interface League {
  competition_id: number;
  season_id: number;
  teams: number[];
}

/** A competition (its own sport) with a current season, week 1 and `teams` teams. */
export async function league(sql: Sql, code: string, teams = 8): Promise<League> {
  const [sport] = await sql<{ sport_id: number }[]>`
    insert into core.sport (code, name) values (${`${code}_sport`}, ${`${code} sport`}) returning sport_id`;
  const [comp] = await sql<{ competition_id: number }[]>`
    insert into core.competition (sport_id, code, name) values (${sport!.sport_id}, ${code}, ${code}) returning competition_id`;
  const [season] = await sql<{ season_id: number }[]>`
    insert into core.season (competition_id, label, is_current) values (${comp!.competition_id}, '2026', true) returning season_id`;
  await sql`insert into core.week (season_id, week_number, label) values (${season!.season_id}, 1, 'Week 1')`;
  const rows = await sql<{ team_id: number }[]>`
    insert into core.team (sport_id, code, name)
    select ${sport!.sport_id}, ${code} || '_T' || i, ${code} || ' team ' || i from generate_series(1, ${teams}) i
    returning team_id`;
  return { competition_id: comp!.competition_id, season_id: season!.season_id, teams: rows.map((r) => r.team_id) };
}

/** `n` scheduled games starting tomorrow, each with a match_result market (home, draw, away). */
export async function games(sql: Sql, lg: League, n: number, prefix = 'g'): Promise<Game[]> {
  const out: Game[] = [];
  for (let i = 0; i < n; i++) {
    const home = lg.teams[(2 * i) % lg.teams.length]!;
    const away = lg.teams[(2 * i + 1) % lg.teams.length]!;
    const [ev] = await sql<{ event_id: number }[]>`
      insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
      values (${`${prefix}_${lg.competition_id}_${i}`}, 'game', ${lg.competition_id}, ${lg.season_id}, 1, now() + interval '1 day', ${home}, ${away})
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
