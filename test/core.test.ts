// The core schema refuses every bad write with a named constraint or a raised SQLSTATE:
// one bad-input test per constraint of core (and, in market.test.ts, of market), the
// on-delete behaviour of every foreign key, and the event status lifecycle (SL001, SL002).
// The first test reads the catalog and fails when a constraint of core or market has no
// test naming it, so a new constraint cannot land untested.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type postgres from 'postgres';
import { rejectsWith, restrictViolation, testDb } from './helpers/db.ts';
import { game, race, world } from './helpers/world.ts';

// ---------------------------------------------------------------------------------------
// Fixtures: plain inserts into the real schema, nothing mocked.

/** Column values for an insert through postgres.js's object helper. */
type Row = Record<string, string | number | boolean | null | postgres.Parameter>;

// ---------------------------------------------------------------------------------------

t.test('every constraint of core and market has a bad-input test naming it', async (t) => {
  const { sql } = await testDb(t);
  // Constraints declared on core and market tables. Not-null constraints (catalogued from
  // PostgreSQL 18) are left out: their names are generated and the error names the column.
  // Constraints a partition inherits from its parent are covered by the parent's test.
  const constraints = await sql<{ schema: string; name: string }[]>`
    select n.nspname as schema, c.conname as name
      from pg_constraint c
      join pg_namespace n on n.oid = c.connamespace
     where n.nspname in ('core', 'market')
       and c.contype <> 'n'
       and c.conparentid = 0
       and c.conislocal
     order by 1, 2`;
  // Partial unique indexes enforce a rule no constraint states (one current season).
  const indexes = await sql<{ schema: string; name: string }[]>`
    select n.nspname as schema, c.relname as name
      from pg_index i
      join pg_class c on c.oid = i.indexrelid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('core', 'market')
       and i.indisunique
       and i.indpred is not null
       and not exists (select from pg_inherits h where h.inhrelid = i.indexrelid)
     order by 1, 2`;
  t.ok(constraints.length > 80, `the catalog lists the constraints (${constraints.length})`);
  t.ok(
    indexes.some((i) => i.name === 'season_one_current_per_competition'),
    'the partial unique index is listed',
  );

  // A constraint counts as tested when a test file names it as a string literal, as
  // rejectsWith(…, { constraint: 'name' }) or a table of cases does. Other areas (the odds
  // tables of market, the attack tests in test/security/) test their own constraints in
  // their own files: read them all.
  const dir = path.dirname(new URL(import.meta.url).pathname);
  const tested = new Set<string>();
  for (const file of (await fs.readdir(dir, { recursive: true })).filter((f) => f.endsWith('.test.ts'))) {
    const text = await fs.readFile(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/['"`]([a-z][a-z0-9_]*)['"`]/g)) tested.add(m[1]!);
  }
  const untested = [...constraints, ...indexes].filter((c) => !tested.has(c.name)).map((c) => `${c.schema}.${c.name}`);
  t.same(untested, [], 'every constraint of core and market is named by a test in test/*.test.ts');
});

t.test('sport, competition, season, week: codes, keys, dates, one current season', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);

  await rejectsWith(t, sql`insert into core.sport (code, name) values ('American Football', 'x')`, {
    code: '23514',
    constraint: 'sport_code_format',
  });
  await rejectsWith(t, sql`insert into core.sport (code, name) values ('t_sport_a', 'again')`, {
    code: '23505',
    constraint: 'sport_code_key',
  });
  await rejectsWith(t, sql`insert into core.sport (sport_id, code, name) overriding system value values (${w.sportId}, 't_dup', 'x')`, {
    code: '23505',
    constraint: 'sport_pkey',
  });

  await rejectsWith(t, sql`insert into core.competition (sport_id, code, name) values (${w.sportId}, 'NFL', 'x')`, {
    code: '23514',
    constraint: 'competition_code_format',
  });
  await rejectsWith(t, sql`insert into core.competition (sport_id, code, name) values (${w.sportId}, 't_comp_a', 'x')`, {
    code: '23505',
    constraint: 'competition_code_key',
  });
  await rejectsWith(t, sql`insert into core.competition (sport_id, code, name) values (32000, 't_comp_z', 'x')`, {
    code: '23503',
    constraint: 'competition_sport_fk',
  });
  await rejectsWith(
    t,
    sql`insert into core.competition (competition_id, sport_id, code, name) overriding system value
        values (${w.competitionId}, ${w.sportId}, 't_comp_y', 'x')`,
    { code: '23505', constraint: 'competition_pkey' },
  );

  await rejectsWith(t, sql`insert into core.season (competition_id, label) values (${w.competitionId}, '2025')`, {
    code: '23505',
    constraint: 'season_competition_label_key',
  });
  await rejectsWith(
    t,
    sql`insert into core.season (competition_id, label, starts_on, ends_on) values (${w.competitionId}, '2026', '2026-09-01', '2026-08-01')`,
    { code: '23514', constraint: 'season_dates_ordered' },
  );
  await rejectsWith(t, sql`insert into core.season (competition_id, label) values (999999, '2026')`, {
    code: '23503',
    constraint: 'season_competition_fk',
  });
  await rejectsWith(
    t,
    sql`insert into core.season (competition_id, label, is_current) values (${w.competitionId}, '2026', true)`,
    { code: '23505', constraint: 'season_one_current_per_competition' },
    'a second current season of one competition fails (season_one_current_per_competition)',
  );
  await sql`insert into core.season (competition_id, label, is_current) values (${w.competitionId}, '2024', false)`;
  t.pass('a second, not current season is fine');
  await rejectsWith(
    t,
    sql`insert into core.season (season_id, competition_id, label) overriding system value values (${w.seasonId}, ${w.competitionId}, '2027')`,
    { code: '23505', constraint: 'season_pkey' },
  );
  const [other] = await sql<{ id: number }[]>`
    insert into core.competition (sport_id, code, name) values (${w.sportId}, 't_comp_other', 'Other league')
    returning competition_id as id`;
  await rejectsWith(
    t,
    sql`insert into core.event (external_id, kind, competition_id, season_id, scheduled_start)
        values ('x_other_comp', 'race', ${other!.id}, ${w.seasonId}, now())`,
    { code: '23503', constraint: 'event_season_fk' },
    'an event whose season belongs to another competition fails (event_season_fk)',
  );

  await rejectsWith(t, sql`insert into core.week (season_id, week_number, label) values (${w.seasonId}, 1, 'again')`, {
    code: '23505',
    constraint: 'week_pkey',
  });
  await rejectsWith(t, sql`insert into core.week (season_id, week_number, label) values (${w.seasonId}, 0, 'w0')`, {
    code: '23514',
    constraint: 'week_number_positive',
  });
  await rejectsWith(t, sql`insert into core.week (season_id, week_number, label) values (${w.seasonId}, 61, 'w61')`, {
    code: '23514',
    constraint: 'week_number_positive',
  });
  await rejectsWith(
    t,
    sql`insert into core.week (season_id, week_number, label, starts_on, ends_on) values (${w.seasonId}, 2, 'w2', '2025-09-14', '2025-09-08')`,
    { code: '23514', constraint: 'week_dates_ordered' },
  );
  await rejectsWith(t, sql`insert into core.week (season_id, week_number, label) values (999999, 1, 'w')`, {
    code: '23503',
    constraint: 'week_season_fk',
  });
});

t.test('season_id_competition_key: (season, competition) is unique, the target of event_season_fk', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  // The pair cannot repeat while season_id is the primary key; take the primary key away
  // (in this throw-away database) to see the constraint itself refuse a duplicate pair.
  await sql`alter table core.season drop constraint season_pkey cascade`;
  await rejectsWith(
    t,
    sql`insert into core.season (season_id, competition_id, label) overriding system value
        values (${w.seasonId}, ${w.competitionId}, '2028')`,
    { code: '23505', constraint: 'season_id_competition_key' },
  );
});

t.test('team, player, roster: keys, positions from the roster, jersey range', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  await rejectsWith(t, sql`insert into core.team (sport_id, code, name) values (${w.sportId}, 'HOM', 'Home again')`, {
    code: '23505',
    constraint: 'team_sport_code_key',
  });
  await rejectsWith(t, sql`insert into core.team (sport_id, code, name) values (32000, 'X', 'X')`, {
    code: '23503',
    constraint: 'team_sport_fk',
  });
  await rejectsWith(
    t,
    sql`insert into core.team (team_id, sport_id, code, name) overriding system value values (${w.home}, ${w.sportId}, 'X', 'X')`,
    { code: '23505', constraint: 'team_pkey' },
  );

  const [p] = await sql<{ id: number }[]>`
    insert into core.player (sport_id, external_id, full_name) values (${w.sportId}, '00-0001', 'Ann Player')
    returning player_id::int as id`;
  const playerId = p!.id;
  await rejectsWith(t, sql`insert into core.player (sport_id, external_id, full_name) values (${w.sportId}, '00-0001', 'Same id')`, {
    code: '23505',
    constraint: 'player_sport_external_id_key',
  });
  await rejectsWith(t, sql`insert into core.player (sport_id, external_id, full_name) values (32000, 'x', 'x')`, {
    code: '23503',
    constraint: 'player_sport_fk',
  });
  await rejectsWith(
    t,
    sql`insert into core.player (player_id, sport_id, external_id, full_name) overriding system value
        values (${playerId}, ${w.sportId}, '00-0002', 'x')`,
    { code: '23505', constraint: 'player_pkey' },
  );

  const [r] = await sql<{ id: number }[]>`
    insert into core.roster (season_id, team_id, player_id, position, jersey)
    values (${w.seasonId}, ${w.home}, ${playerId}, 'QB', 15) returning roster_id::int as id`;
  await rejectsWith(
    t,
    sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, ${w.home}, ${playerId}, 'RB')`,
    { code: '23505', constraint: 'roster_season_team_player_key' },
  );
  for (const position of ['qb', '', 'TOOLONGPOS', '1B', 'Q B']) {
    await rejectsWith(
      t,
      sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, ${w.away}, ${playerId}, ${position})`,
      { code: '23514', constraint: 'roster_position_format' },
      `position '${position}' fails (roster_position_format)`,
    );
  }
  await sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, ${w.away}, ${playerId}, 'OL/DL')`;
  t.pass('position OL/DL is accepted');
  for (const jersey of [-1, 100]) {
    await rejectsWith(t, sql`update core.roster set jersey = ${jersey} where roster_id = ${r!.id}`, {
      code: '23514',
      constraint: 'roster_jersey_range',
    });
  }
  await rejectsWith(
    t,
    sql`insert into core.roster (season_id, team_id, player_id, position) values (999999, ${w.home}, ${playerId}, 'K')`,
    { code: '23503', constraint: 'roster_season_fk' },
  );
  await rejectsWith(
    t,
    sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, 999999, ${playerId}, 'K')`,
    { code: '23503', constraint: 'roster_team_fk' },
  );
  await rejectsWith(
    t,
    sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, ${w.home}, 999999, 'K')`,
    { code: '23503', constraint: 'roster_player_fk' },
  );
  await rejectsWith(
    t,
    sql`insert into core.roster (roster_id, season_id, team_id, player_id, position) overriding system value
        values (${r!.id}, ${w.seasonId}, ${w.home}, ${playerId}, 'K')`,
    { code: '23505', constraint: 'roster_pkey' },
  );
});

t.test('event: natural id, kinds, teams, scores, weeks, metadata', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const id = await game(sql, w, '2025_01_AWY_HOM');
  const ev = (o: Row): Row => ({
    external_id: 'x_event',
    kind: 'game',
    competition_id: w.competitionId,
    season_id: w.seasonId,
    week_number: w.week,
    scheduled_start: '2025-09-07 17:00Z',
    home_team_id: w.home,
    away_team_id: w.away,
    ...o,
  });
  const insert = (o: Row) => {
    const row = ev(o);
    return sql`insert into core.event ${sql(row)}`;
  };

  await rejectsWith(t, insert({ external_id: '2025_01_AWY_HOM' }), { code: '23505', constraint: 'event_external_id_key' });
  await rejectsWith(t, insert({ kind: 'bout' }), { code: '23514', constraint: 'event_kind_known' });
  await rejectsWith(t, insert({ stage: 'friendly' }), { code: '23514', constraint: 'event_stage_known' });
  await rejectsWith(t, insert({ status: 'finished' }), { code: '23514', constraint: 'event_status_known' });
  await rejectsWith(t, insert({ away_team_id: w.home }), { code: '23514', constraint: 'event_teams_distinct' });
  await rejectsWith(t, insert({ away_team_id: null }), { code: '23514', constraint: 'event_match_has_teams' });
  await rejectsWith(t, insert({ kind: 'match', home_team_id: null }), {
    code: '23514',
    constraint: 'event_match_has_teams',
  });
  await rejectsWith(t, insert({ kind: 'race', week_number: null }), {
    code: '23514',
    constraint: 'event_race_has_no_teams',
  });
  await rejectsWith(t, insert({ status: 'in_progress', home_score: -1, away_score: 0 }), {
    code: '23514',
    constraint: 'event_home_score_non_negative',
  });
  await rejectsWith(t, insert({ status: 'in_progress', home_score: 0, away_score: -3 }), {
    code: '23514',
    constraint: 'event_away_score_non_negative',
  });
  await rejectsWith(t, insert({ status: 'completed', home_score: 21, away_score: null }), {
    code: '23514',
    constraint: 'event_completed_match_has_scores',
  });
  await rejectsWith(t, insert({ status: 'completed' }), {
    code: '23514',
    constraint: 'event_completed_match_has_scores',
  });
  for (const status of ['scheduled', 'postponed', 'cancelled']) {
    await rejectsWith(
      t,
      insert({ status, home_score: 0, away_score: 0 }),
      { code: '23514', constraint: 'event_scores_only_once_started' },
      `a ${status} event with a score fails (event_scores_only_once_started)`,
    );
  }
  await rejectsWith(t, insert({ metadata: sql.json([1, 2]) }), { code: '23514', constraint: 'event_metadata_is_object' });
  await rejectsWith(t, insert({ week_number: 7 }), { code: '23503', constraint: 'event_week_fk' });
  await rejectsWith(t, insert({ season_id: 999999 }), { code: '23503', constraint: 'event_season_fk' });
  await rejectsWith(t, insert({ home_team_id: 999999 }), { code: '23503', constraint: 'event_home_team_fk' });
  await rejectsWith(t, insert({ away_team_id: 999999 }), { code: '23503', constraint: 'event_away_team_fk' });
  await rejectsWith(
    t,
    sql`insert into core.event (event_id, external_id, kind, competition_id, season_id, scheduled_start)
        overriding system value values (${id}, 'x_pk', 'race', ${w.competitionId}, ${w.seasonId}, now())`,
    { code: '23505', constraint: 'event_pkey' },
  );

  await insert({ external_id: 'ok_race', kind: 'race', week_number: null, home_team_id: null, away_team_id: null });
  await insert({ external_id: 'ok_match', kind: 'match', status: 'completed', home_score: 2, away_score: 2 });
  await insert({ external_id: 'ok_abandoned', status: 'abandoned', home_score: 7, away_score: 3 });
  t.pass('a race without teams, a completed match with both scores, an abandoned game with its score are accepted');
});

t.test('runner: numbers, draw, form 0-10, weight, positions only when finished', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const raceId = await race(sql, w, 'r1');
  const ins = (o: Row) => {
    const row = { event_id: raceId, number: 9, name: 'Nine', ...o };
    return sql`insert into core.runner ${sql(row)}`;
  };
  await rejectsWith(t, ins({ number: 1 }), { code: '23505', constraint: 'runner_event_number_key' });
  await rejectsWith(t, ins({ number: 0 }), { code: '23514', constraint: 'runner_number_positive' });
  await rejectsWith(t, ins({ draw: 0 }), { code: '23514', constraint: 'runner_draw_positive' });
  await rejectsWith(t, ins({ form_rating: 10.5 }), { code: '23514', constraint: 'runner_form_rating_range' });
  await rejectsWith(t, ins({ form_rating: -0.01 }), { code: '23514', constraint: 'runner_form_rating_range' });
  await rejectsWith(t, ins({ weight: 0 }), { code: '23514', constraint: 'runner_weight_positive' });
  await rejectsWith(t, ins({ days_since_last_race: -1 }), {
    code: '23514',
    constraint: 'runner_days_since_last_race_non_negative',
  });
  await rejectsWith(t, ins({ status: 'scratched' }), { code: '23514', constraint: 'runner_status_known' });
  await rejectsWith(t, ins({ status: 'finished', finish_position: 0 }), {
    code: '23514',
    constraint: 'runner_finish_position_positive',
  });
  await rejectsWith(t, ins({ status: 'finished' }), { code: '23514', constraint: 'runner_finished_has_position' });
  await rejectsWith(t, ins({ status: 'non_runner', finish_position: 4 }), {
    code: '23514',
    constraint: 'runner_position_only_when_finished',
  });
  await rejectsWith(t, ins({ metadata: sql.json(['fast']) }), { code: '23514', constraint: 'runner_metadata_is_object' });
  await rejectsWith(t, ins({ event_id: 999999 }), { code: '23503', constraint: 'runner_event_fk' });
  const [one] = await sql<{ id: number }[]>`select runner_id::int as id from core.runner where event_id = ${raceId} and number = 1`;
  await rejectsWith(
    t,
    sql`insert into core.runner (runner_id, event_id, number, name) overriding system value
        values (${one!.id}, ${raceId}, 9, 'Nine')`,
    { code: '23505', constraint: 'runner_pkey' },
  );
  await ins({ form_rating: 10, weight: 30.5, draw: 4, days_since_last_race: 0 });
  t.pass('a runner with form 10, a draw and weight is accepted');
});

t.test('event_status_transition: only known, different statuses', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`insert into core.event_status_transition (from_status, to_status) values ('scheduled', 'in_progress')`, {
    code: '23505',
    constraint: 'event_status_transition_pkey',
  });
  await rejectsWith(t, sql`insert into core.event_status_transition (from_status, to_status) values ('postponed', 'postponed')`, {
    code: '23514',
    constraint: 'event_status_transition_not_same',
  });
  await rejectsWith(t, sql`insert into core.event_status_transition (from_status, to_status) values ('scheduled', 'finished')`, {
    code: '23514',
    constraint: 'event_status_transition_status_known',
  });
  await rejectsWith(t, sql`insert into core.event_status_transition (from_status, to_status) values ('live', 'completed')`, {
    code: '23514',
    constraint: 'event_status_transition_status_known',
  });
});

const statuses = ['scheduled', 'in_progress', 'completed', 'postponed', 'abandoned', 'cancelled'];

t.test('status lifecycle: every listed transition succeeds, every other fails with SL001', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const allowed = await sql<{ from_status: string; to_status: string }[]>`
    select from_status, to_status from core.event_status_transition order by 1, 2`;
  t.ok(allowed.length >= 10, `the table lists the allowed transitions (${allowed.length})`);
  const isAllowed = (from: string, to: string) => allowed.some((a) => a.from_status === from && a.to_status === to);

  // A representative set the product rules out, whatever the table says.
  for (const [from, to] of [
    ['completed', 'scheduled'],
    ['cancelled', 'scheduled'],
    ['in_progress', 'scheduled'],
    ['completed', 'in_progress'],
    ['abandoned', 'completed'],
  ] as const) {
    t.notOk(isAllowed(from, to), `${from} -> ${to} is not an allowed transition`);
  }

  for (const from of statuses) {
    for (const to of statuses) {
      if (from === to) continue;
      const id = await game(sql, w, `t_${from}_${to}`, from);
      const change = sql`
        update core.event
           set status = ${to},
               home_score = case when ${to} = 'completed' then coalesce(home_score, 3) else home_score end,
               away_score = case when ${to} = 'completed' then coalesce(away_score, 0) else away_score end
         where event_id = ${id}
        returning status`;
      if (isAllowed(from, to)) {
        const [row] = await change;
        t.equal(row?.status, to, `${from} -> ${to} is allowed`);
      } else {
        await rejectsWith(t, change, { code: 'SL001', message: new RegExp(`from ${from} to ${to}`) }, `${from} -> ${to} fails with SL001`);
      }
    }
  }
});

t.test('a settled result does not change by UPDATE (SL002); stamps on start and completion', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);

  const done = await game(sql, w, 'g_done', 'completed');
  const [stamped] = await sql<{ completed_at: Date | null }[]>`select completed_at from core.event where event_id = ${done}`;
  t.ok(stamped?.completed_at, 'an event inserted as completed gets completed_at');
  await rejectsWith(t, sql`update core.event set home_score = 25 where event_id = ${done}`, {
    code: 'SL002',
    message: /completed result cannot be changed/,
  });
  await rejectsWith(t, sql`update core.event set home_score = null, away_score = null where event_id = ${done}`, {
    code: 'SL002',
  });
  await sql`update core.event set venue = 'Arrowhead', metadata = '{"roof": "open"}' where event_id = ${done}`;
  t.pass('other columns of a completed event may still change');

  const abandoned = await game(sql, w, 'g_abandoned', 'scheduled');
  await sql`update core.event set status = 'in_progress', home_score = 7, away_score = 0 where event_id = ${abandoned}`;
  await sql`update core.event set status = 'abandoned' where event_id = ${abandoned}`;
  await rejectsWith(t, sql`update core.event set away_score = 3 where event_id = ${abandoned}`, { code: 'SL002' });
  const cancelled = await game(sql, w, 'g_cancelled', 'cancelled');
  await rejectsWith(t, sql`update core.event set home_score = 0, away_score = 0 where event_id = ${cancelled}`, {
    code: 'SL002',
  });

  const live = await game(sql, w, 'g_live');
  const [started] = await sql<{ actual_start: Date | null; completed_at: Date | null }[]>`
    update core.event set status = 'in_progress' where event_id = ${live} returning actual_start, completed_at`;
  t.ok(started?.actual_start, 'in_progress stamps actual_start');
  t.equal(started?.completed_at, null, 'no completed_at while in progress');
  await sql`update core.event set home_score = 3, away_score = 0 where event_id = ${live}`;
  t.pass('the score of a game in progress may change');
  await rejectsWith(t, sql`update core.event set status = 'completed', home_score = null where event_id = ${live}`, {
    code: '23514',
    constraint: 'event_completed_match_has_scores',
  });
  const [finished] = await sql<{ completed_at: Date | null }[]>`
    update core.event set status = 'completed', home_score = 10 where event_id = ${live} returning completed_at`;
  t.ok(finished?.completed_at, 'completion stamps completed_at');

  const raceId = await race(sql, w, 'r_done', 'completed');
  await rejectsWith(t, sql`update core.runner set finish_position = 2 where event_id = ${raceId} and number = 1`, {
    code: 'SL002',
    message: /runner 1 finishing result cannot be changed/,
  });
  await rejectsWith(
    t,
    sql`update core.runner set status = 'disqualified', finish_position = null where event_id = ${raceId} and number = 3`,
    { code: 'SL002' },
  );
  await sql`update core.runner set trainer = 'J. Smith', form_rating = 7.5 where event_id = ${raceId}`;
  t.pass("other columns of a settled race's runners may still change");
  const open = await race(sql, w, 'r_open');
  await sql`update core.runner set status = 'non_runner' where event_id = ${open} and number = 2`;
  t.pass('runners of a race not yet settled may change');
});

t.test('on delete: restrict where history would be lost, cascade to what belongs to the row', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const restrict = await restrictViolation(sql);
  const gameId = await game(sql, w, 'g1', 'completed');
  await sql`select core.correct_event_result(${gameId}, 'completed', 24::smallint, 20::smallint, 'scoring change')`;
  const raceId = await race(sql, w, 'r1');
  const [p] = await sql<{ id: number }[]>`
    insert into core.player (sport_id, external_id, full_name) values (${w.sportId}, 'p1', 'Pat') returning player_id::int as id`;
  await sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, ${w.home}, ${p!.id}, 'WR')`;

  // restrict: SQLSTATE 23001 (23503 before PostgreSQL 18) naming the foreign key
  await rejectsWith(t, sql`delete from core.sport where sport_id = ${w.sportId}`, {
    code: restrict,
    constraint: 'competition_sport_fk',
  });
  await rejectsWith(t, sql`delete from core.team where team_id = ${w.away}`, {
    code: restrict,
    constraint: 'event_away_team_fk',
  });
  const [spare] = await sql<{ id: number }[]>`
    insert into core.team (sport_id, code, name) values (${w.sportId}, 'SPR', 'Spare') returning team_id as id`;
  await sql`update core.event set venue = 'neutral' where event_id = ${gameId}`;
  const g2 = await game(sql, w, 'g2');
  await sql`update core.event set home_team_id = ${spare!.id}, away_team_id = ${w.away} where event_id = ${g2}`;
  await rejectsWith(t, sql`delete from core.team where team_id = ${spare!.id}`, {
    code: restrict,
    constraint: 'event_home_team_fk',
  });
  await sql`delete from core.event where event_id = ${g2}`;
  const [rosterTeam] = await sql<{ id: number }[]>`
    insert into core.team (sport_id, code, name) values (${w.sportId}, 'RST', 'Roster only') returning team_id as id`;
  await sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, ${rosterTeam!.id}, ${p!.id}, 'TE')`;
  await rejectsWith(t, sql`delete from core.team where team_id = ${rosterTeam!.id}`, {
    code: restrict,
    constraint: 'roster_team_fk',
  });
  await rejectsWith(t, sql`delete from core.week where season_id = ${w.seasonId} and week_number = 1`, {
    code: restrict,
    constraint: 'event_week_fk',
  });
  await rejectsWith(t, sql`delete from core.competition where competition_id = ${w.competitionId}`, {
    code: restrict,
    constraint: 'event_season_fk',
  });
  const [sp2] = await sql<{ id: number }[]>`insert into core.sport (code, name) values ('t_other', 'Other') returning sport_id as id`;
  await sql`insert into core.team (sport_id, code, name) values (${sp2!.id}, 'X', 'X')`;
  await rejectsWith(t, sql`delete from core.sport where sport_id = ${sp2!.id}`, {
    code: restrict,
    constraint: 'team_sport_fk',
  });
  const [sp3] = await sql<{ id: number }[]>`insert into core.sport (code, name) values ('t_third', 'Third') returning sport_id as id`;
  await sql`insert into core.player (sport_id, external_id, full_name) values (${sp3!.id}, 'x', 'X')`;
  await rejectsWith(t, sql`delete from core.sport where sport_id = ${sp3!.id}`, {
    code: restrict,
    constraint: 'player_sport_fk',
  });

  // cascade: an event takes its runners and corrections with it
  const n = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? -1;
  await sql`delete from core.event where event_id = ${raceId}`;
  t.equal(
    await n(sql`select count(*)::int as n from core.runner where event_id = ${raceId}`),
    0,
    'runners go with their race (runner_event_fk cascades)',
  );
  t.equal(await n(sql`select count(*)::int as n from core.event_correction where event_id = ${gameId}`), 1, 'the correction is there');
  await sql`delete from core.event where event_id = ${gameId}`;
  t.equal(
    await n(sql`select count(*)::int as n from core.event_correction where event_id = ${gameId}`),
    0,
    'corrections go with their event (event_correction_event_fk cascades)',
  );
  // a player takes his roster rows; a season its weeks and rosters; a competition its seasons
  await sql`delete from core.player where player_id = ${p!.id}`;
  t.equal(await n(sql`select count(*)::int as n from core.roster where player_id = ${p!.id}`), 0, 'roster rows go with the player');
  const [p2] = await sql<{ id: number }[]>`
    insert into core.player (sport_id, external_id, full_name) values (${w.sportId}, 'p2', 'Sam') returning player_id::int as id`;
  await sql`insert into core.roster (season_id, team_id, player_id, position) values (${w.seasonId}, ${w.home}, ${p2!.id}, 'K')`;
  await sql`delete from core.competition where competition_id = ${w.competitionId}`;
  t.equal(
    await n(sql`select count(*)::int as n from core.season where competition_id = ${w.competitionId}`),
    0,
    'seasons go with the competition',
  );
  t.equal(await n(sql`select count(*)::int as n from core.week where season_id = ${w.seasonId}`), 0, 'weeks go with the season');
  t.equal(await n(sql`select count(*)::int as n from core.roster where season_id = ${w.seasonId}`), 0, 'rosters go with the season');
});

t.test('event_correction: a correction needs a reason and an event', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const id = await game(sql, w, 'g1', 'completed');
  await rejectsWith(
    t,
    sql`select core.correct_event_result(${id}, 'completed', 24::smallint, 21::smallint, '   ')`,
    { code: '23514', constraint: 'event_correction_reason_given' },
    'a blank reason fails (event_correction_reason_given) and nothing changes',
  );
  const [after] = await sql<{ home_score: number; away_score: number; result_version: number }[]>`
    select home_score, away_score, result_version from core.event where event_id = ${id}`;
  t.same(after, { home_score: 24, away_score: 17, result_version: 0 }, 'the refused correction left the event alone');
  await rejectsWith(
    t,
    sql`insert into core.event_correction (event_id, reason, old_status, new_status, result_version) values (999999, 'x', 'completed', 'completed', 1)`,
    { code: '23503', constraint: 'event_correction_event_fk' },
  );
  const [c] = await sql<{ id: number }[]>`
    insert into core.event_correction (event_id, reason, old_status, new_status, result_version)
    values (${id}, 'manual note', 'completed', 'completed', 1) returning correction_id::int as id`;
  await rejectsWith(
    t,
    sql`insert into core.event_correction (correction_id, event_id, reason, old_status, new_status, result_version)
        overriding system value values (${c!.id}, ${id}, 'x', 'completed', 'completed', 1)`,
    { code: '23505', constraint: 'event_correction_pkey' },
  );
});
