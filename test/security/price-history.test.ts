// Attack: the worker forges settled price history. Historical prices (market.odds_history,
// what back-tests are judged against), the downsampled bars of captured prices
// (market.odds_bar_1m) and the captured snapshots themselves are not the worker's to write
// directly: a load writes historical prices through market.write_odds_history (security
// definer, only for a running ingest.batch), maintenance the bars; the worker appends
// snapshots, never rewrites them. Each forgery is refused with 42501 (no privilege, on the
// parent and on every partition) or SL160 (a batch that is not running) — and nothing
// changed. A real load as the worker still keeps its prices (its load table is a temporary
// table of the worker's own session, read as the worker).
import path from 'node:path';
import postgres from 'postgres';
import t from 'tap';
import { repoRoot } from '../../src/embedded.ts';
import { feeds, loadFile } from '../../src/ingest/load.ts';
import { migrate } from '../../src/migrate.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole, roleName } from '../helpers/roles.ts';

const EPL = path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv');

t.test('the worker cannot write price history directly; a load as the worker keeps its prices', async (t) => {
  const db = await testDb(t);
  const { sql } = db;
  const u = new URL(db.url);
  u.searchParams.set('options', `-c role=${await roleName(sql, 'worker')}`);
  const loader = postgres(u.toString(), { max: 2, onnotice: () => {} });
  t.teardown(() => loader.end());

  const batch = await loadFile(loader, feeds.football_data!, EPL);
  t.same([batch.status, batch.rejected], ['completed', 0], 'the EPL 2019-20 file loads as the worker');
  t.ok(batch.odds_kept > 18000, `and keeps its prices (${batch.odds_kept})`);
  const [held] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_history where batch_id = ${batch.batch_id}`;
  t.equal(held?.n, batch.odds_kept, 'every price it reported is in market.odds_history');

  // the partitions the load made exist now: the grants given again cover them too
  await migrate(db.url, { forceSql: true });
  const [part] = await sql<{ p: string }[]>`
    select tableoid::regclass::text as p from market.odds_history where batch_id = ${batch.batch_id} limit 1`;
  const [row] = await sql<{ selection_id: string; source_id: number; observed_at: Date }[]>`
    select selection_id, source_id, observed_at from market.odds_history where batch_id = ${batch.batch_id} order by 1, 2, 3 limit 1`;
  // a captured snapshot and a bar of the same selection, written as the superuser (capture, maintenance)
  await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price)
            values ('2019-08-01T12:00:00Z', ${row!.selection_id}, ${row!.source_id}, 2.5)`;
  await sql`insert into market.odds_bar_1m (bucket, selection_id, source_id, back_open, back_high, back_low, back_close, snapshots, first_observed_at, last_observed_at)
            values ('2019-08-01T12:00:00Z', ${row!.selection_id}, ${row!.source_id}, 2.5, 2.5, 2.5, 2.5, 1, '2019-08-01T12:00:00Z', '2019-08-01T12:00:00Z')`;
  const snapshot = () => sql`
    select (select count(*)::int from market.odds_history) as prices, (select sum(price)::text from market.odds_history) as total,
           (select array_agg(back_price::text) from market.odds_snapshot) as snapshots,
           (select array_agg(back_close::text) from market.odds_bar_1m) as bars`;
  const before = await snapshot();

  const attacks: [string, (tx: postgres.TransactionSql) => Promise<unknown>][] = [
    [
      'insert a price into market.odds_history',
      (tx) => tx`insert into market.odds_history (observed_at, selection_id, source_id, price, batch_id)
                 values ('2019-08-01T00:00:00Z', ${row!.selection_id}, ${row!.source_id}, 50, ${batch.batch_id})`,
    ],
    ['rewrite the closing prices', (tx) => tx`update market.odds_history set price = 50 where selection_id = ${row!.selection_id}`],
    ['delete the prices', (tx) => tx`delete from market.odds_history where selection_id = ${row!.selection_id}`],
    ['rewrite them in their partition', (tx) => tx.unsafe(`update ${part!.p} set price = 50`)],
    [
      'insert into the default partition',
      (tx) => tx`insert into market.odds_history_default (observed_at, selection_id, source_id, price, batch_id)
                 values ('1899-01-01T00:00:00Z', ${row!.selection_id}, ${row!.source_id}, 50, ${batch.batch_id})`,
    ],
    ['rewrite a downsampled bar', (tx) => tx`update market.odds_bar_1m set back_close = 50`],
    [
      'insert a bar',
      (
        tx,
      ) => tx`insert into market.odds_bar_1m (bucket, selection_id, source_id, back_open, back_high, back_low, back_close, snapshots, first_observed_at, last_observed_at)
                 values ('2019-08-01T12:01:00Z', ${row!.selection_id}, ${row!.source_id}, 50, 50, 50, 50, 1, '2019-08-01T12:01:00Z', '2019-08-01T12:01:00Z')`,
    ],
    ['delete the bars', (tx) => tx`delete from market.odds_bar_1m`],
    ['rewrite a captured snapshot', (tx) => tx`update market.odds_snapshot set back_price = 50`],
    ['delete the captured snapshots', (tx) => tx`delete from market.odds_snapshot`],
  ];
  for (const [what, attack] of attacks) {
    await rejectsWith(t, asRole(sql, 'worker', attack), { code: '42501', message: /permission denied/ }, `as the worker: ${what}`);
  }

  // through the writer, for a batch that is not a running load
  const forge = (batchId: string) =>
    asRole(
      sql,
      'worker',
      (
        tx,
      ) => tx`select market.write_odds_history(${batchId}, array[${row!.observed_at}]::timestamptz[], array[${row!.selection_id}]::bigint[],
                                                  array[${row!.source_id}]::smallint[], array[50]::numeric[])`,
    );
  await rejectsWith(t, forge(batch.batch_id), { code: 'SL160', message: /batch is completed/ }, 'a finished batch: SL160');
  await rejectsWith(t, forge('999999999'), { code: 'SL160', message: /no such batch/ }, 'an unknown batch: SL160');
  const [failed] = await sql<{ batch_id: string }[]>`
    insert into ingest.batch (feed, location, status, finished_at, error) values ('football_data', 'x', 'failed', now(), 'x') returning batch_id`;
  await rejectsWith(t, forge(failed!.batch_id), { code: 'SL160', message: /batch is failed/ }, 'a failed batch: SL160');
  t.same(await snapshot(), before, 'no price, bar or snapshot changed');

  // a load re-run as the worker still writes through the writer (0 prices: none changed)
  const again = await loadFile(loader, feeds.football_data!, EPL);
  t.same([again.status, again.odds_kept], ['completed', 0], 're-run as the worker: completed, no price kept twice');
  t.same(await snapshot(), before, 'and nothing changed');
});
