// The smallest worlds the schema tests of core, market and corrections write into: plain
// inserts into the real schema, nothing mocked.
import type { Sql } from '../../src/db.ts';

export interface World {
  sportId: number;
  competitionId: number;
  seasonId: number;
  week: number;
  home: number;
  away: number;
}

/** A sport, a competition, its current season with week 1, and two teams. */
export async function world(sql: Sql, tag = 'a'): Promise<World> {
  const [sp] = await sql<{ id: number }[]>`
    insert into core.sport (code, name) values (${`t_sport_${tag}`}, 'Test sport') returning sport_id as id`;
  const sportId = sp!.id;
  const [co] = await sql<{ id: number }[]>`
    insert into core.competition (sport_id, code, name) values (${sportId}, ${`t_comp_${tag}`}, 'Test league')
    returning competition_id as id`;
  const competitionId = co!.id;
  const [se] = await sql<{ id: number }[]>`
    insert into core.season (competition_id, label, is_current) values (${competitionId}, '2025', true)
    returning season_id as id`;
  const seasonId = se!.id;
  await sql`insert into core.week (season_id, week_number, label) values (${seasonId}, 1, 'Week 1')`;
  const [h] = await sql<{ id: number }[]>`
    insert into core.team (sport_id, code, name) values (${sportId}, 'HOM', 'Home') returning team_id as id`;
  const [a] = await sql<{ id: number }[]>`
    insert into core.team (sport_id, code, name) values (${sportId}, 'AWY', 'Away') returning team_id as id`;
  return { sportId, competitionId, seasonId, week: 1, home: h!.id, away: a!.id };
}

/** A game between the world's two teams in week 1, in the given status (scores when completed). */
export async function game(sql: Sql, w: World, externalId: string, status = 'scheduled'): Promise<number> {
  const scored = status === 'completed';
  const [e] = await sql<{ id: number }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, status,
                            home_team_id, away_team_id, home_score, away_score)
    values (${externalId}, 'game', ${w.competitionId}, ${w.seasonId}, ${w.week}, '2025-09-07 17:00Z', ${status},
            ${w.home}, ${w.away}, ${scored ? 24 : null}, ${scored ? 17 : null})
    returning event_id::int as id`;
  return e!.id;
}

/** A race with no week and three runners numbered 1-3 (finished 1-2-3 when completed). */
export async function race(sql: Sql, w: World, externalId: string, status = 'scheduled'): Promise<number> {
  const [e] = await sql<{ id: number }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, scheduled_start, status)
    values (${externalId}, 'race', ${w.competitionId}, ${w.seasonId}, '2025-09-07 19:00Z', ${status})
    returning event_id::int as id`;
  const id = e!.id;
  const done = status === 'completed';
  await sql`
    insert into core.runner (event_id, number, name, status, finish_position)
    select ${id}, n, 'Runner ' || n, ${done ? 'finished' : 'declared'}, case when ${done} then n end
    from generate_series(1, 3) n`;
  return id;
}
