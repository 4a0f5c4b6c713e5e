// Guards of the definer helpers and names the review of the historical-prices, fleet and
// refresh work asked for: ingest.analyze_staging analyzes only the feeds' staging tables
// (it runs with its owner's rights, and the worker can point ingest.feed elsewhere), the
// worker's `scoreline refresh --object` may ask refresh.explain, and a long WORKER_ID never
// cuts the random part of a process's application_name (the recovery ends a dead process's
// backends by it, so two processes of one name must never share it).
import t from 'tap';
import { workerApplicationName } from '../../src/worker/runner.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';

t.test('ingest.analyze_staging refuses a table that is not a staging table (SL112)', async (t) => {
  const { sql } = await testDb(t);
  await sql`update ingest.feed set staging_table = 'core.event' where code = 'nfl_games'`;
  const [b] = await sql<
    { id: string }[]
  >`insert into ingest.batch (feed, location) values ('nfl_games', 'x.csv') returning batch_id::text as id`;
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select ingest.analyze_staging(${b!.id})`),
    { code: 'SL112', message: /not a staging table/ },
    'the worker cannot make it ANALYZE core.event',
  );
  await sql`update ingest.feed set staging_table = 'ingest.stage_nfl_games' where code = 'nfl_games'`;
  const [ok] = await asRole(sql, 'worker', (tx) => tx<{ done: boolean }[]>`select ingest.analyze_staging(${b!.id}) as done`);
  t.equal(ok?.done, true, 'its own staging table it analyzes');
});

t.test("the worker's refresh --object may ask what an object is (refresh.explain)", async (t) => {
  const { sql } = await testDb(t);
  const rows = await asRole(
    sql,
    'worker',
    (tx) => tx<{ kind: string }[]>`select kind from refresh.explain('stats.mv_model_stats_overall')`,
  );
  t.ok(rows.length === 1, `answered: ${rows[0]?.kind}`);
});

t.test('a long WORKER_ID is cut in application_name, never the random part, as the recovery computes it', async (t) => {
  const { sql } = await testDb(t);
  const id = 'ip-10-0-12-34.eu-west-1.compute.internal:12345';
  const a = workerApplicationName(`${id}/aaaaaa`);
  const b = workerApplicationName(`${id}/bbbbbb`);
  t.ok(a.length <= 63 && a.endsWith('/aaaaaa'), `${a}: within 63 characters, ending in its random part`);
  t.not(a, b, 'two processes of one name have different application_names');
  for (const processId of [`${id}/aaaaaa`, 'host:7/a1b2c3', 'no-slash-name']) {
    const [r] = await sql<{ name: string }[]>`
      select case when p ~ '/[0-9a-f]{6}$'
                  then 'scoreline worker ' || left(left(p, length(p) - 7), 39) || right(p, 7)
                  else left('scoreline worker ' || p, 63) end as name
        from (select ${processId}::text as p) x`;
    t.equal(r?.name, workerApplicationName(processId), `${processId}: the SQL of worker.recover_stale_workers names it the same`);
  }
  const [src] = await sql<{ def: string }[]>`select pg_get_functiondef('worker.recover_stale_workers(interval,text)'::regprocedure) as def`;
  t.match(
    src?.def ?? '',
    /left\(left\(h\.process_id, length\(h\.process_id\) - 7\), 39\) \|\| right\(h\.process_id, 7\)/,
    'and the function uses that expression',
  );
});
