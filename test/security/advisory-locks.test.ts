// Attack: lock denial of service. The keys of the worker's advisory locks are no secret
// (forecast.score_event and market.settle_event: hashtext('scoreline.score_event') and the
// event; refresh.lock_key(object); the player statistics'), so an app or reader session that
// takes and holds them stalls scoring and refreshes for as long as it likes. In a scoreline
// database the advisory lock functions are executable by the owner and worker groups only
// (sql/090_roles.sql; docker/initdb/scoreline-bootstrap.sh where no superuser migrates): the
// app and the reader get 42501 and hold nothing, while the app's writes (whose security
// definer triggers take locks) and the worker's scoring and refreshes go on.
import t from 'tap';
import { games, league, predict, user, model } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';

t.test('the app and the reader cannot take the worker’s advisory locks; the worker still scores and refreshes', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'al', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [key] = await sql<{ object: string; refresh_key: string }[]>`
    select o.object::text, refresh.lock_key(o.object)::text as refresh_key from refresh.object o order by 1 limit 1`;
  const attacks = [
    `select pg_advisory_xact_lock(hashtext('scoreline.score_event'), hashtext('${g!.event_id}'))`,
    `select pg_advisory_lock(hashtext('scoreline.score_event'), hashtext('${g!.event_id}'))`,
    `select pg_try_advisory_lock(${key!.refresh_key}::bigint)`,
    `select pg_try_advisory_xact_lock(${key!.refresh_key}::bigint)`,
    `select pg_advisory_lock_shared(hashtext('scoreline.player_stats'), 1)`,
    `select pg_advisory_xact_lock_shared(${key!.refresh_key}::bigint)`,
    `select pg_try_advisory_lock_shared(1, 2)`,
    `select pg_try_advisory_xact_lock_shared(1)`,
  ];
  for (const kind of ['app', 'reader'] as const) {
    for (const stmt of attacks) {
      await rejectsWith(
        t,
        asRole(sql, kind, (tx) => tx.unsafe(stmt)),
        { code: '42501', message: /permission denied for function pg_(try_)?advisory/ },
        `${kind}: ${stmt.replace(/\(.*/, '')} refused`,
      );
    }
  }
  const [held] = await sql<
    { n: number }[]
  >`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = current_database()`;
  t.equal(held!.n, 0, 'no advisory lock is held');

  const [open] = await sql<{ fn: string }[]>`
    select string_agg(p.oid::regprocedure::text, ', ') as fn from pg_proc p
     where p.pronamespace = 'pg_catalog'::regnamespace and p.proname ~ '^pg_(try_)?advisory_(xact_)?lock(_shared)?$'
       and (has_function_privilege('scoreline_app', p.oid, 'execute') or has_function_privilege('scoreline_reader', p.oid, 'execute')
            or has_function_privilege('scoreline_checker', p.oid, 'execute')
            or not has_function_privilege('scoreline_worker', p.oid, 'execute') or not has_function_privilege('scoreline_owner', p.oid, 'execute'))`;
  t.equal(open!.fn, null, 'every lock function: the owner and worker groups only');

  // what takes locks still works for those who need it
  const ann = await user(sql, 'ann');
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.home})`, ann); // the player-stats trigger locks, as its owner
  const m = await model(sql, 'm');
  await predict(sql, m, g!.away);
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g!.event_id}`;
  const [scored] = await asRole(sql, 'worker', (tx) => tx<{ n: number }[]>`select forecast.score_event(${g!.event_id}) as n`);
  t.equal(scored!.n, 2, 'the worker scores (forecast.score_event takes its lock)');
  const [got] = await asRole(
    sql,
    'worker',
    (tx) => tx<{ ok: boolean }[]>`select pg_try_advisory_xact_lock(${key!.refresh_key}::bigint) as ok`,
  );
  t.equal(got!.ok, true, 'the worker takes a refresh lock itself (scoreline refresh does)');
});
