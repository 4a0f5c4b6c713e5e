// What the demo prints: the loads and a summary of what is in the database, the model
// leaderboard and refresh.status.
import type { Sql } from '../db.ts';
import { formatBatches } from '../ingest/command.ts';
import type { DemoContext } from './context.ts';

function table(header: string[], rows: (string | number)[][], numeric: number[] = []): string {
  const cells = rows.map((r) => r.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    '  ' +
    r
      .map((c, i) => (numeric.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

/** The summary the demo prints: competitions, seasons, events, teams, players. */
export async function summary(sql: Sql): Promise<string> {
  const competitions = await sql<{ code: string; name: string; sport: string }[]>`
    select c.code, c.name, s.code as sport from core.competition c join core.sport s using (sport_id) order by c.code`;
  const seasons = await sql<{ competition: string; label: string; is_current: boolean; weeks: number; events: number }[]>`
    select c.code as competition, se.label, se.is_current,
           (select count(*)::int from core.week w where w.season_id = se.season_id) as weeks,
           (select count(*)::int from core.event e where e.season_id = se.season_id) as events
      from core.season se join core.competition c using (competition_id)
     order by c.code, se.label`;
  const events = await sql<{ competition: string; season: string; stage: string; status: string; events: number }[]>`
    select c.code as competition, se.label as season, e.stage, e.status, count(*)::int as events
      from core.event e
      join core.competition c on c.competition_id = e.competition_id
      join core.season se on se.season_id = e.season_id
     group by 1, 2, 3, 4
     order by 1, 2, 3 desc, 4`;
  const teams = await sql<{ sport: string; teams: number }[]>`
    select s.code as sport, count(t.team_id)::int as teams
      from core.sport s join core.team t using (sport_id) group by 1 order by 1`;
  const [people] = await sql<{ players: number; rosters: number; runners: number }[]>`
    select (select count(*)::int from core.player) as players, (select count(*)::int from core.roster) as rosters,
           (select count(*)::int from core.runner) as runners`;
  return [
    'Competitions',
    table(
      ['code', 'name', 'sport'],
      competitions.map((c) => [c.code, c.name, c.sport]),
    ),
    '',
    'Seasons (* = current)',
    table(
      ['competition', 'season', 'current', 'weeks', 'events'],
      seasons.map((s) => [s.competition, s.label, s.is_current ? '*' : '', s.weeks, s.events]),
      [3, 4],
    ),
    '',
    'Events by competition, season, stage and status',
    table(
      ['competition', 'season', 'stage', 'status', 'events'],
      events.map((e) => [e.competition, e.season, e.stage, e.status, e.events]),
      [4],
    ),
    '',
    'Teams',
    table(
      ['sport', 'teams'],
      teams.map((t) => [t.sport, t.teams]),
      [1],
    ),
    '',
    `Players: ${people!.players}, roster rows: ${people!.rosters}, race runners: ${people!.runners}`,
  ].join('\n');
}

/** Step: print the loads and the summary. */
export async function printSummary(ctx: DemoContext): Promise<void> {
  if (ctx.batches.length) ctx.out(`Loads\n${formatBatches(ctx.batches).replace(/^/gm, '  ')}\n`);
  ctx.out(await summary(ctx.sql));
}

/** Step: the leaderboards and refresh.status. */
export async function leaderboard(ctx: DemoContext): Promise<void> {
  const rows = await ctx.sql<
    {
      name: string;
      total_matches: number;
      total_points: string;
      avg_points: string;
      win_rate: string | null;
      w: number;
      d: number;
      l: number;
      units: string | null;
    }[]
  >`
    select v.model_name as name, v.total_matches, v.total_points::text, round(v.avg_points, 2)::text as avg_points,
           round(v.win_rate * 100, 1)::text as win_rate, v.win_count as w, v.draw_count as d, v.loss_count as l,
           round(v.total_units, 1)::text as units
      from stats.mv_model_stats_overall v
     order by v.total_points desc, v.model_name`;
  const head = `  ${'model'.padEnd(20)} ${'matches'.padStart(7)} ${'points'.padStart(7)} ${'avg'.padStart(5)} ${'win %'.padStart(6)}   W-D-L        units`;
  ctx.out(
    `\nModel leaderboard, current seasons (stats.mv_model_stats_overall)\n${head}\n` +
      rows
        .map(
          (r) =>
            `  ${r.name.padEnd(20)} ${String(r.total_matches).padStart(7)} ${r.total_points.padStart(7)} ${r.avg_points.padStart(5)} ` +
            `${(r.win_rate ?? '-').padStart(6)}   ${`${r.w}-${r.d}-${r.l}`.padEnd(12)} ${(r.units ?? '-').padStart(6)}`,
        )
        .join('\n'),
  );
  const users = await ctx.sql<
    { season: string; handle: string; predictions: number; w: number; l: number; points: string; rank: number }[]
  >`
    select se.label as season, u.handle, u.predictions, u.win_count as w, u.loss_count as l, u.points::text, u.rank
      from stats.user_leaderboard u join core.season se on se.season_id = u.season_id
     order by se.label, u.rank, u.handle`;
  ctx.out(
    `\nUser leaderboard (stats.user_leaderboard; the first touchdowns the picks are scored on are demo data, drawn)\n` +
      table(
        ['season', 'user', 'picks', 'won', 'lost', 'points', 'rank'],
        users.map((u) => [u.season, u.handle, u.predictions, u.w, u.l, u.points, u.rank]),
        [2, 3, 4, 5, 6],
      ),
  );
  const status = await ctx.sql<{ object: string; method: string; state: string; last_duration: string | null; reason: string | null }[]>`
    select object::text, method, state, round(extract(epoch from last_duration)::numeric * 1000)::text as last_duration, reason
      from refresh.status order by object::text`;
  ctx.out(
    `\nrefresh.status\n  ${'object'.padEnd(42)} ${'method'.padEnd(12)} ${'state'.padEnd(8)} last ms\n` +
      status
        .map(
          (s) =>
            `  ${s.object.padEnd(42)} ${s.method.padEnd(12)} ${s.state.padEnd(8)} ${(s.last_duration ?? '-').padStart(7)}${s.reason ? `  ${s.reason}` : ''}`,
        )
        .join('\n'),
  );
}
