// market.odds_snapshot has no per-row foreign keys (they made the COPY path 5-6 times
// slower): the COPY path checks its keys set-based (market.lock_odds_keys, SL105, in
// test/odds-copy.test.ts), triggers on market.selection and market.source do what ON
// DELETE CASCADE / RESTRICT did, and maint.dq_orphaned_odds() reports what slips past.
import t from 'tap';
import { connect } from '../src/db.ts';
import { copyOddsSnapshots } from '../src/ingest/odds-copy.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { makeRace, sourceId } from './helpers/timeseries.ts';

const at = (m: number) => new Date(Date.parse('2024-01-01T04:00:00Z') + m * 60_000);

t.test('deleting selections deletes their snapshots, directly or with their market', async (t) => {
  const { sql } = await testDb(t);
  const a = await makeRace(sql, { runners: 3 });
  const b = await makeRace(sql, { runners: 2 });
  const betfair = await sourceId(sql, 'betfair');
  const rows = [...a.selections, ...b.selections].flatMap((s) =>
    [0, 1, 2].map((m) => ({ observedAt: at(m), selectionId: s, sourceId: betfair, backPrice: 2.5 })),
  );
  await copyOddsSnapshots(sql, rows);
  const count = async (ids: string[]) =>
    Number((await sql<{ n: string }[]>`select count(*) as n from market.odds_snapshot where selection_id = any(${ids}::bigint[])`)[0]!.n);
  await sql`delete from market.selection where selection_id = ${a.selections[0]!}`;
  t.equal(await count([a.selections[0]!]), 0, 'the deleted selection has no snapshots left');
  t.equal(await count(a.selections.slice(1)), 6, 'its siblings keep theirs');
  await sql`delete from market.market where market_id = ${a.marketId}`;
  t.equal(await count(a.selections), 0, 'a deleted market (cascading to its selections) takes the snapshots');
  t.equal(await count(b.selections), 6, 'the other race keeps its snapshots');
  const [dq] = await sql<{ n: string }[]>`select maint.dq_orphaned_odds() as n`;
  t.equal(dq!.n, '0', 'no orphans');
});

t.test('a source or a selection id used by snapshots is kept (SL106)', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql, { runners: 1 });
  const [src] = await sql<{ source_id: number }[]>`
    insert into market.source (code, name, kind) values ('odds_keys_test', 'Test source', 'bookmaker') returning source_id`;
  await copyOddsSnapshots(sql, [{ observedAt: at(0), selectionId: race.selections[0]!, sourceId: src!.source_id, backPrice: 2 }]);
  await rejectsWith(t, sql`delete from market.source where source_id = ${src!.source_id}`, {
    code: 'SL106',
    message: new RegExp(`^source odds_keys_test \\(${src!.source_id}\\) has odds snapshots or historical prices: it cannot be deleted$`),
  });
  await rejectsWith(t, sql`update market.source set source_id = default where source_id = ${src!.source_id}`, {
    code: 'SL106',
    message: new RegExp(`^source odds_keys_test \\(${src!.source_id}\\) has odds snapshots or historical prices: it cannot be renumbered$`),
  });
  await rejectsWith(t, sql`update market.selection set selection_id = default where selection_id = ${race.selections[0]!}`, {
    code: 'SL106',
    message: new RegExp(`^selection ${race.selections[0]!} has odds snapshots or historical prices: it cannot be renumbered$`),
  });
  await sql`update market.source set name = 'Renamed' where source_id = ${src!.source_id}`;
  t.pass('other changes of a source with snapshots are fine');
  await sql`delete from market.odds_snapshot where source_id = ${src!.source_id}`;
  await sql`delete from market.source where source_id = ${src!.source_id}`;
  t.pass('a source without snapshots can go');
});

t.test('maint.dq_orphaned_odds counts snapshots written past the checks', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql, { runners: 1 });
  const betfair = await sourceId(sql, 'betfair');
  await sql`select maint.ensure_partitions('market.odds_snapshot', '2024-01-01', '2024-01-01')`;
  await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price) values
    ('2024-01-01T04:00Z', ${race.selections[0]!}, ${betfair}, 2),
    ('2024-01-01T04:00Z', 987654321, ${betfair}, 2),
    ('2024-01-01T04:01Z', ${race.selections[0]!}, 999, 2)`;
  const [dq] = await sql<{ n: string }[]>`select maint.dq_orphaned_odds() as n`;
  t.equal(dq!.n, '2', 'an unknown selection and an unknown source: 2 orphans');
});

t.test('a load holds its selections: a concurrent delete waits for it', async (t) => {
  const { sql, url } = await testDb(t);
  const race = await makeRace(sql, { runners: 1 });
  const betfair = await sourceId(sql, 'betfair');
  const other = connect(url, { max: 1 });
  t.teardown(() => other.end());
  await sql.begin(async (tx) => {
    await copyOddsSnapshots(tx, [{ observedAt: at(0), selectionId: race.selections[0]!, sourceId: betfair, backPrice: 2 }]);
    await rejectsWith(
      t,
      other.begin(async (o) => {
        await o`set local lock_timeout = '300ms'`;
        await o`delete from market.selection where selection_id = ${race.selections[0]!}`;
      }),
      { code: '55P03' },
      'the delete cannot take the selection while the load is open',
    );
  });
  await sql`delete from market.selection where selection_id = ${race.selections[0]!}`;
  const [n] = await sql<{ n: string }[]>`select count(*) as n from market.odds_snapshot`;
  t.equal(n!.n, '0', 'after the load committed, the delete takes its snapshots');
});
