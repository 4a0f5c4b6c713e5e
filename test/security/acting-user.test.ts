// Attack (issue 12, item 3): an app session claims to act for a model, or for a forecaster
// that does not exist, by setting scoreline.user_id to its id. forecast.acting_user_id()
// refuses both with SL141 (sql/090_roles.sql), so the session reads and deletes nothing;
// the policies evaluate it once per statement, not once per row.
import t from 'tap';
import { games, league, models, predict, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';

t.test('an app session acting for a model or an unknown forecaster gets SL141 and touches nothing', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'au', teams: 8 });
  const gs = await games(sql, lg, 4);
  const [model] = await models(sql, ['elo']);
  for (const g of gs) await predict(sql, model!, g.home);
  const ann = await user(sql, 'ann');
  await sql`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${gs[0]!.away})`;
  const [unknown] = await sql<{ id: number }[]>`select max(forecaster_id)::int + 1000 as id from forecast.forecaster`;
  const count = async () => {
    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`;
    return n!.n;
  };
  const before = await count();

  for (const [who, id] of [
    ['a model', model!],
    ['a forecaster that does not exist', unknown!.id],
  ] as const) {
    await rejectsWith(
      t,
      asRole(sql, 'app', (tx) => tx`select count(*) from forecast.prediction`, id),
      { code: 'SL141', message: /names no user forecaster/ },
      `app acting for ${who}: reading predictions is refused`,
    );
    await rejectsWith(
      t,
      asRole(sql, 'app', (tx) => tx`delete from forecast.prediction where forecaster_id = ${id}`, id),
      { code: 'SL141', message: /names no user forecaster/ },
      `app acting for ${who}: deleting its predictions is refused`,
    );
    await rejectsWith(
      t,
      asRole(sql, 'app', (tx) => tx`select count(*) from forecast.prediction_score`, id),
      { code: 'SL141' },
      `app acting for ${who}: reading scores is refused`,
    );
    await rejectsWith(
      t,
      asRole(sql, 'app', (tx) => tx`select * from forecast.pick`, id),
      { code: 'SL141' },
      `app acting for ${who}: forecast.pick is refused`,
    );
  }
  t.equal(await count(), before, 'no prediction was deleted');

  const mine = await asRole(sql, 'app', (tx) => tx<{ forecaster_id: number }[]>`select forecaster_id::int from forecast.prediction`, ann);
  t.same(
    mine.map((r) => r.forecaster_id),
    [ann],
    'acting for a user still works: Ann sees her pick only',
  );
  const none = await asRole(sql, 'app', (tx) => tx`select * from forecast.prediction`);
  t.equal(none.length, 0, 'without scoreline.user_id the session sees nothing (no error)');
});

t.test('the policies call forecast.acting_user_id() once per statement', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'ac', teams: 8 });
  const gs = await games(sql, lg, 60);
  const ann = await user(sql, 'ann');
  await sql`insert into forecast.prediction (forecaster_id, selection_id)
            select ${ann}, s from unnest(${gs.map((g) => g.home)}::bigint[]) s`;
  const result = await sql.begin(async (tx) => {
    await tx`set local track_functions = 'pl'`;
    await tx`select set_config('role', core.role_name('app'), true)`;
    await tx`select set_config('scoreline.user_id', ${String(ann)}, true)`;
    const [seen] = await tx<{ n: number }[]>`select count(*)::int as n from forecast.prediction where stake >= 0`;
    const [calls] = await tx<{ n: number }[]>`
      select pg_stat_get_xact_function_calls('forecast.acting_user_id()'::regprocedure)::int as n`;
    const plan = await tx<{ 'QUERY PLAN': string }[]>`explain (costs off) select * from forecast.prediction where stake >= 0`;
    return { seen: seen!.n, calls: calls!.n, plan: plan.map((r) => r['QUERY PLAN']).join('\n') };
  });
  t.equal(result.seen, 60, 'the user sees her 60 picks');
  t.equal(result.calls, 1, 'acting_user_id() ran once for the statement, not once per row');
  t.match(result.plan, /InitPlan/, 'the policy compares with an initplan (select forecast.acting_user_id())');
});

t.test('every policy of the app role says it acts for scoreline.user_id and names SL141', async (t) => {
  const { sql } = await testDb(t);
  const rows = await sql<{ policy: string; comment: string | null }[]>`
    select c.oid::regclass || ' ' || p.polname as policy, obj_description(p.oid, 'pg_policy') as comment
      from pg_policy p join pg_class c on c.oid = p.polrelid
     where (select oid from pg_roles where rolname = core.role_name('app')) = any (p.polroles)
     order by 1`;
  t.ok(rows.length >= 3, `the app role has policies (${rows.length})`);
  for (const r of rows) {
    t.match(r.comment ?? '', /scoreline\.user_id/, `${r.policy}: the comment names scoreline.user_id`);
    t.match(r.comment ?? '', /SL141/, `${r.policy}: the comment names SL141`);
  }
});
