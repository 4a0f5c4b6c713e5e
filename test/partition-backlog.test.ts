// Partition maintenance in bounded steps: a backlog of expired daily partitions (an
// archive loaded, a worker stopped for years) is dropped one partition per transaction,
// so it never needs more locks than one partition's, whatever the backlog. Each of these
// partitions has a dozen lockable objects (table, row types, keys, indexes, TOAST table
// and index): dropping 2,000 of them in one transaction takes about 24,000 locks, more
// than the lock table of a default server holds (max_locks_per_transaction 64 x
// max_connections 200), which is the "out of shared memory" a one-transaction
// maintenance failed with. The test uses a smaller backlog and checks what makes the size
// not matter: every drop committed in a transaction of its own.
import t from 'tap';
import { rejectsWith, testDb } from './helpers/db.ts';

const PARTITIONS = 300;
const DAY = 86_400_000;

t.test(`a backlog of ${PARTITIONS} expired partitions is dropped, one transaction each`, async (t) => {
  const { sql } = await testDb(t);
  await sql`
    create table public.backlog (
      at timestamptz not null,
      item bigint not null,
      note text,
      primary key (item, at)
    ) partition by range (at)`;
  await sql`create index backlog_at on public.backlog (at)`;
  await sql`create index backlog_note on public.backlog (note)`;
  await sql`
    insert into maint.partition_policy (parent, granularity, premake, retention, note)
    values ('public.backlog', '1 day', '0', '30 days', 'test: a backlog of expired days')`;
  // the backlog: days ending 100 days ago, created 250 at a time (one transaction each)
  const today = Math.floor(Date.now() / DAY) * DAY;
  const first = today - (PARTITIONS + 100) * DAY;
  for (let d = 0; d < PARTITIONS; d += 250) {
    await sql`select maint.ensure_partitions('public.backlog', ${new Date(first + d * DAY)}, ${new Date(first + (Math.min(d + 250, PARTITIONS) - 1) * DAY)})`;
  }
  await sql`insert into public.backlog (at, item, note) select ${new Date(first)}::timestamptz + n * interval '1 day', n, 'x' from generate_series(0, ${PARTITIONS - 1}) n`;
  const [made] = await sql<{ n: number; objects: number }[]>`
    select count(*)::int as n,
           (select count(*) from pg_catalog.pg_depend d where d.refobjid = any (array_agg(pb.partition::oid)))::int as objects
      from maint.partition_bounds pb where pb.parent = 'public.backlog'::regclass and not pb.is_default`;
  t.equal(made?.n, PARTITIONS, `${PARTITIONS} daily partitions, each with a row`);
  t.ok(made!.objects >= PARTITIONS * 10, `${made!.objects} objects depend on them, each a lock when dropped`);

  await sql`call maint.run_partition_maintenance()`;

  const [left] = await sql<{ n: number; rows: number }[]>`
    select (select count(*) from maint.partition_bounds pb where pb.parent = 'public.backlog'::regclass and not pb.is_default)::int as n,
           (select count(*) from public.backlog)::int as rows`;
  t.same(left, { n: 1, rows: 0 }, 'every expired day dropped; only today (premake 0) is left');
  const [log] = await sql<{ drops: number; transactions: number }[]>`
    select count(*)::int as drops, count(distinct run_at)::int as transactions
      from maint.maintenance_log where parent = 'public.backlog' and action = 'drop'`;
  t.same(log, { drops: PARTITIONS, transactions: PARTITIONS }, 'each drop logged in a transaction of its own (its own now())');
});

t.test('inside a transaction block maintenance fails before doing anything (2D000)', async (t) => {
  const { sql } = await testDb(t);
  const [before] = await sql<{ n: number }[]>`select count(*)::int as n from maint.maintenance_log`;
  await rejectsWith(
    t,
    sql.begin((tx) => tx`call maint.run_partition_maintenance()`),
    { code: '2D000', message: /invalid transaction termination/ },
    'after BEGIN',
  );
  await sql`
    create function public.maintain_inside() returns void language plpgsql as $$
    begin
      call maint.run_partition_maintenance();
    end $$`;
  await rejectsWith(
    t,
    sql`select public.maintain_inside()`,
    { code: '2D000', message: /invalid transaction termination/ },
    'from a function',
  );
  const [after] = await sql<{ n: number }[]>`select count(*)::int as n from maint.maintenance_log`;
  t.equal(after?.n, before?.n, 'nothing was done');
});
