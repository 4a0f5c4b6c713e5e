import t from 'tap';
import { migrate } from '../src/migrate.ts';
import { testDb } from './helpers/db.ts';

t.test('a second migrate applies nothing', async (t) => {
  const db = await testDb(t, { empty: true });
  const first = await migrate(db.url);
  t.ok(first.migrations.length >= 3, `first run applies the migrations (${first.migrations.length})`);
  t.ok(first.sqlFiles.length >= 2, 'first run applies sql/');
  const second = await migrate(db.url);
  t.same(second.migrations, [], 'second run applies no migration');
  t.same(second.sqlFiles, [], 'second run applies no sql/ file');
});

t.test('two migrates at once: one applies, the other waits and applies nothing', async (t) => {
  const db = await testDb(t, { empty: true });
  const [a, b] = await Promise.all([migrate(db.url), migrate(db.url)]);
  const appliers = [a, b].filter((r) => r.migrations.length > 0);
  t.equal(appliers.length, 1, 'exactly one run applied migrations');
  const waiter = a.migrations.length ? b : a;
  t.ok(waiter.waitedForLock, 'the other one waited for the advisory lock');
  t.same(waiter.migrations, [], 'and applied no migration');
  t.same(waiter.sqlFiles, [], 'and no sql/ file');
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.schema_migrations`;
  t.equal(row?.n, a.migrations.length + b.migrations.length, 'each migration recorded once');
});
