// Incremental maintenance of the model statistics: the three views are current the
// moment scoring commits, and equal a full recomputation after any sequence of
// scoring, corrections, voids and deletions (property-based, fast-check).
import fc from 'fast-check';
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { games, league, models, predict, type Game } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

interface Row {
  model_id: number;
  total_matches: number;
  total_points: string;
  win_count: number;
  draw_count: number;
  loss_count: number;
  total_units: number | null;
}

async function overall(sql: Sql): Promise<Row[]> {
  return sql<
    Row[]
  >`select model_id::int, total_matches, total_points::text, win_count, draw_count, loss_count, total_units::float8 as total_units
                      from stats.mv_model_stats_overall order by model_id`;
}

async function mismatch(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: string }[]>`select stats.dq_model_stats_incremental_vs_full()::text as n`;
  return Number(row?.n);
}

t.test('views are current when scoring commits, and follow corrections, voids and deletions', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'inc', teams: 4 });
  const gs = await games(sql, lg, 2);
  const [home, away] = await models(sql, ['home', 'away']);
  for (const g of gs) {
    await predict(sql, home!, g.home, 2, 1);
    await predict(sql, away!, g.away, 3, 2);
  }
  t.same(await overall(sql), [], 'nothing scored, nothing shown');

  await sql`update core.event set status = 'completed', home_score = 2, away_score = 0 where event_id = ${gs[0]!.event_id}`;
  await sql`select forecast.score_event(${gs[0]!.event_id})`;
  const after1 = await overall(sql);
  t.same(
    after1.map((r) => [r.model_id, r.total_matches, r.win_count, r.loss_count, r.total_units]),
    [
      [home, 1, 1, 0, 1],
      [away, 1, 0, 1, -2],
    ],
    'one game scored: home won 1 unit at 2.0, away lost its stake of 2, with no refresh',
  );

  await sql`select core.correct_event_result(${gs[0]!.event_id}, 'completed', 0::smallint, 1::smallint, 'score keyed the wrong way round')`;
  await sql`select forecast.score_event(${gs[0]!.event_id})`;
  t.same(
    (await overall(sql)).map((r) => [r.model_id, r.win_count, r.loss_count, r.total_units]),
    [
      [home, 0, 1, -1],
      [away, 1, 0, 4],
    ],
    'after the correction the old contribution is taken back and the new one added',
  );

  await sql`update core.event set status = 'cancelled' where event_id = ${gs[1]!.event_id}`;
  await sql`select forecast.score_event(${gs[1]!.event_id})`;
  t.same(
    (await overall(sql)).map((r) => [r.model_id, r.total_matches, r.draw_count]),
    [
      [home, 2, 1],
      [away, 2, 1],
    ],
    'a cancelled game counts as a draw (void) for everyone',
  );

  await sql`delete from forecast.prediction where forecaster_id = ${home!} and selection_id = ${gs[1]!.home}`;
  t.same(
    (await overall(sql)).map((r) => [r.model_id, r.total_matches, r.draw_count]),
    [
      [home, 1, 0],
      [away, 2, 1],
    ],
    'deleting a scored prediction decrements its model',
  );
  const [club] = await sql<{ n: number }[]>`select count(*)::int as n from stats.mv_model_stats_club where model_id = ${home!}`;
  t.equal(club?.n, 2, 'club view: home model keeps the home and away club rows of the one game left');
  t.equal(await mismatch(sql), 0, 'incremental equals full');
});

t.test('overall covers current seasons only', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'cur', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [m] = await models(sql, ['m']);
  await predict(sql, m!, g!.home);
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g!.event_id}`;
  await sql`select forecast.score_event(${g!.event_id})`;
  t.equal((await overall(sql)).length, 1, 'current season: shown');
  await sql`update core.season set is_current = false where season_id = ${lg.seasonId}`;
  t.equal((await overall(sql)).length, 0, 'no longer current: gone from overall at once');
  const [comp] = await sql<{ n: number }[]>`select count(*)::int as n from stats.mv_model_stats_competition`;
  t.equal(comp?.n, 1, 'still in the per-competition view');
});

t.test('property: after random scoring, corrections, voids and deletions, incremental equals full', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'prop', teams: 6 });
  const gs: Game[] = await games(sql, lg, 6);
  const ms = await models(sql, ['a', 'b', 'c']);
  for (const g of gs) {
    for (const [i, m] of ms.entries()) await predict(sql, m, [g.home, g.draw, g.away][(i + g.event_id) % 3]!, 1.5 + i, 1);
  }
  const action = fc.oneof(
    fc.record({ kind: fc.constant('score' as const), game: fc.nat(5), h: fc.nat(4), a: fc.nat(4) }),
    fc.record({ kind: fc.constant('correct' as const), game: fc.nat(5), h: fc.nat(4), a: fc.nat(4) }),
    fc.record({ kind: fc.constant('void' as const), game: fc.nat(5) }),
    fc.record({ kind: fc.constant('delete' as const), game: fc.nat(5), model: fc.nat(2) }),
  );
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
      runs++;
      await sql
        .begin(async (tx) => {
          for (const act of actions) {
            const g = gs[act.game]!;
            const [ev] = await tx<{ status: string }[]>`select status from core.event where event_id = ${g.event_id}`;
            if (act.kind === 'score' && ev?.status === 'scheduled') {
              await tx`update core.event set status = 'completed', home_score = ${act.h}, away_score = ${act.a} where event_id = ${g.event_id}`;
            } else if (act.kind === 'correct' && ev?.status !== 'scheduled') {
              await tx`select core.correct_event_result(${g.event_id}, 'completed', ${act.h}::smallint, ${act.a}::smallint, 'property test')`.catch(
                () => undefined,
              );
            } else if (act.kind === 'void' && ev?.status === 'scheduled') {
              await tx`update core.event set status = 'cancelled' where event_id = ${g.event_id}`;
            } else if (act.kind === 'delete') {
              await tx`delete from forecast.prediction where forecaster_id = ${ms[act.model]!} and market_id = ${g.market_id}`;
            }
            await tx`select forecast.score_event(${g.event_id})`;
          }
          const [row] = await tx<{ n: string }[]>`select stats.dq_model_stats_incremental_vs_full()::text as n`;
          if (Number(row?.n) !== 0) throw new Error(`incremental differs from full in ${row?.n} rows after ${JSON.stringify(actions)}`);
          throw new RollbackSignal();
        })
        .catch((err: unknown) => {
          if (!(err instanceof RollbackSignal)) throw err;
        });
    }),
    { numRuns: 40, seed: 20261123 },
  );
  t.equal(runs, 40, 'forty random sequences checked, each rolled back afterwards');
});

class RollbackSignal extends Error {}

t.test('the summary tables refuse impossible rows', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'bad', teams: 2 });
  const [m] = await models(sql, ['m']);
  const club = lg.teams[0]!;
  const comp = (over: Record<string, unknown>) => ({
    model_id: m,
    competition_id: lg.competitionId,
    season_id: lg.seasonId,
    total_matches: 1,
    total_points: 0,
    win_count: 0,
    draw_count: 0,
    loss_count: 0,
    total_units: 0,
    units_count: 0,
    ...over,
  });
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['model_stats_competition_agg', comp({ total_matches: 0 }), '23514', 'model_stats_competition_agg_matches_positive'],
    ['model_stats_competition_agg', comp({ win_count: -1 }), '23514', 'model_stats_competition_agg_win_count_non_negative'],
    ['model_stats_competition_agg', comp({ draw_count: -1 }), '23514', 'model_stats_competition_agg_draw_count_non_negative'],
    ['model_stats_competition_agg', comp({ loss_count: -1 }), '23514', 'model_stats_competition_agg_loss_count_non_negative'],
    ['model_stats_competition_agg', comp({ units_count: -1 }), '23514', 'model_stats_competition_agg_units_count_non_negative'],
    ['model_stats_competition_agg', comp({ model_id: 0 }), '23503', 'model_stats_competition_agg_model_fk'],
    ['model_stats_competition_agg', comp({ competition_id: 0 }), '23503', 'model_stats_competition_agg_competition_fk'],
    ['model_stats_competition_agg', comp({ season_id: 0 }), '23503', 'model_stats_competition_agg_season_fk'],
  ];
  const clubRow = (over: Record<string, unknown>) => {
    const { competition_id: _c, ...rest } = comp({});
    return { ...rest, club_id: club, is_home: true, ...over };
  };
  cases.push(
    ['model_stats_club_agg', clubRow({ total_matches: 0 }), '23514', 'model_stats_club_agg_matches_positive'],
    ['model_stats_club_agg', clubRow({ win_count: -1 }), '23514', 'model_stats_club_agg_win_count_non_negative'],
    ['model_stats_club_agg', clubRow({ draw_count: -1 }), '23514', 'model_stats_club_agg_draw_count_non_negative'],
    ['model_stats_club_agg', clubRow({ loss_count: -1 }), '23514', 'model_stats_club_agg_loss_count_non_negative'],
    ['model_stats_club_agg', clubRow({ units_count: -1 }), '23514', 'model_stats_club_agg_units_count_non_negative'],
    ['model_stats_club_agg', clubRow({ model_id: 0 }), '23503', 'model_stats_club_agg_model_fk'],
    ['model_stats_club_agg', clubRow({ club_id: 0 }), '23503', 'model_stats_club_agg_club_fk'],
    ['model_stats_club_agg', clubRow({ season_id: 0 }), '23503', 'model_stats_club_agg_season_fk'],
  );
  const eventRow = (over: Record<string, unknown>) => ({
    model_id: m,
    event_id: 1,
    competition_id: lg.competitionId,
    season_id: lg.seasonId,
    predictions: 1,
    points: 0,
    win_count: 0,
    draw_count: 0,
    loss_count: 0,
    total_units: 0,
    units_count: 0,
    ...over,
  });
  cases.push(
    ['model_event_agg', eventRow({ predictions: 0 }), '23514', 'model_event_agg_predictions_positive'],
    ['model_event_agg', eventRow({ model_id: 0 }), '23503', 'model_event_agg_model_fk'],
  );
  for (const [table, row, code, constraint] of cases) {
    await rejectsWith(t, sql`insert into ${sql(`stats.${table}`)} ${sql(row)}`, { code, constraint });
  }
  await sql`insert into stats.model_stats_competition_agg ${sql(comp({}))}`;
  await rejectsWith(t, sql`insert into stats.model_stats_competition_agg ${sql(comp({}))}`, {
    code: '23505',
    constraint: 'model_stats_competition_agg_pkey',
  });
  await sql`insert into stats.model_stats_club_agg ${sql(clubRow({}))}`;
  await rejectsWith(t, sql`insert into stats.model_stats_club_agg ${sql(clubRow({}))}`, {
    code: '23505',
    constraint: 'model_stats_club_agg_pkey',
  });
  await sql`insert into stats.model_event_agg ${sql(eventRow({}))}`;
  await rejectsWith(t, sql`insert into stats.model_event_agg ${sql(eventRow({}))}`, { code: '23505', constraint: 'model_event_agg_pkey' });
  for (const [table, keys, values] of [
    ['model_stats_competition_delta', 'competition_id, season_id', `${lg.competitionId}, ${lg.seasonId}`],
    ['model_stats_club_delta', 'club_id, season_id, is_home', `${club}, ${lg.seasonId}, true`],
  ] as const) {
    const insert = `insert into stats.${table} (delta_id, model_id, ${keys}, total_matches, total_points, win_count, draw_count,
                      loss_count, total_units, units_count) overriding system value values (1, ${m}, ${values}, 1, 0, 0, 0, 0, 0, 0)`;
    await sql.unsafe(insert);
    await rejectsWith(t, sql.unsafe(insert), { code: '23505', constraint: `${table}_pkey` });
    await sql.unsafe(`delete from stats.${table}`);
  }
  const [dq] = await sql<{ n: string }[]>`select stats.dq_model_stats_incremental_vs_full()::text as n`;
  t.equal(Number(dq?.n), 3, 'rows written behind the maintenance are what the incremental-equals-full check reports');
  await sql`select stats.rebuild_model_stats()`;
  const [fixed] = await sql<{ n: string }[]>`select stats.dq_model_stats_incremental_vs_full()::text as n`;
  t.equal(Number(fixed?.n), 0, 'and stats.rebuild_model_stats() repairs them');
});

t.test('the refresh orchestrator folds the deltas: its incremental method changes no answer', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'fold', teams: 4 });
  const gs = await games(sql, lg, 3);
  const [m1, m2] = await models(sql, ['m1', 'm2']);
  for (const g of gs) {
    await predict(sql, m1!, g.home, 2);
    await predict(sql, m2!, g.away, 3);
  }
  for (const g of gs) {
    await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g.event_id}`;
    await sql`select forecast.score_event(${g.event_id})`;
  }
  const registry = await sql<{ object: string; method: string; refresh_function: string | null; stale: boolean }[]>`
    select object::text, method, refresh_function, stale_since is not null as stale from refresh.object
     where object in ('stats.model_stats_competition_agg'::regclass, 'stats.model_stats_club_agg'::regclass) order by 1`;
  t.same(
    registry,
    [
      { object: 'stats.model_stats_club_agg', method: 'function', refresh_function: 'stats.fold_model_stats', stale: true },
      { object: 'stats.model_stats_competition_agg', method: 'function', refresh_function: 'stats.fold_model_stats', stale: true },
    ],
    'registered with the fold as their refresh function, and stale once deltas were appended',
  );
  const before = await overall(sql);
  const [pending] = await sql<{ n: number }[]>`select (select count(*) from stats.model_stats_competition_delta)::int as n`;
  t.ok((pending?.n ?? 0) > 0, `deltas pending before the refresh (${pending?.n})`);

  await sql`call refresh.run_due('manual')`;
  const [left] = await sql<{ comp: number; club: number; sums: number }[]>`
    select (select count(*) from stats.model_stats_competition_delta)::int as comp,
           (select count(*) from stats.model_stats_club_delta)::int as club,
           (select count(*) from stats.model_stats_competition_agg)::int as sums`;
  t.same(left, { comp: 0, club: 0, sums: 2 }, 'the refresh folded every delta into the sums');
  t.same(await overall(sql), before, 'the views answer exactly as before the fold');
  t.equal(await mismatch(sql), 0, 'incremental equals full');
  const status = await sql<{ object: string; state: string }[]>`
    select object::text, state from refresh.status
     where object in ('stats.model_stats_competition_agg'::regclass, 'stats.model_stats_club_agg'::regclass) order by 1`;
  t.same(
    status.map((s) => s.state),
    ['fresh', 'fresh'],
    'both fresh afterwards',
  );
  const runs = await sql<{ status: string; method: string }[]>`
    select status, method from refresh.run where object_name = 'stats.model_stats_competition_agg'`;
  t.same(runs, [{ status: 'success', method: 'function' }], 'audited as a function refresh');
});
