// Refresh under concurrency: two refreshers at once refresh each object once, and a
// reader is never blocked by a CONCURRENTLY refresh (while a plain one does block it).
// A gate (an advisory lock the view's query waits on) holds a refresh open
// deterministically instead of relying on timing.
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { runRefresh } from '../src/refresh.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

const GATE = 4242;

async function setup(sql: Sql): Promise<void> {
  await sql`update refresh.object set enabled = false`;
  await sql.unsafe(`
    create function public.gate() returns boolean language plpgsql volatile as $$
    begin
      perform pg_advisory_xact_lock_shared(${GATE});
      return true;
    end $$;
    create table public.score (id int primary key, team text not null, points int not null);
    insert into public.score values (1, 'A', 3), (2, 'B', 1);
    create materialized view stats.team_points as
      select team, sum(points) as points from public.score where public.gate() group by team with no data;
    create unique index team_points_team on stats.team_points (team);
    create materialized view stats.top_team as
      select team, points from stats.team_points order by points desc limit 1 with no data;
    create unique index top_team_team on stats.top_team (team);
  `);
  // the gate is waited on under the refresh's lock_timeout: give it room
  await sql`update refresh.object set parameters = '{"lock_timeout": "120s"}' where object in ('stats.team_points'::regclass, 'stats.top_team'::regclass)`;
  await sql`call refresh.run_due()`;
}

/** Resolves once some backend waits on the gate (a refresh is inside the view's query). */
async function waitAtGate(sql: Sql): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${GATE} and not granted`;
    if ((row?.n ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no refresh reached the gate');
}

t.test('two refreshes at once refresh each object once; the second skips and says why', async (t) => {
  const { sql } = await testDb(t, { max: 8 });
  await setup(sql);
  await sql`insert into public.score values (3, 'B', 5)`;

  const gate = await sql.reserve();
  await gate`select pg_advisory_lock(${GATE})`;
  const first = sql`call refresh.run_due('cron')`.then(() => 'done');
  await waitAtGate(sql);
  const plain = await runRefresh(sql, { trigger: 'manual' });
  t.same(
    plain.runs.map((r) => [r.object_name, r.status, r.reason]),
    [['stats.top_team', 'skipped', 'parent stats.team_points is being refreshed by another run, which refreshes stats.top_team after it']],
    'a second refresher does not plan the claimed view, and leaves its dependent to the first',
  );
  // even forced, it refreshes neither
  const second = await runRefresh(sql, { trigger: 'manual', force: true });
  t.same(
    second.runs.map((r) => [r.object_name, r.status]),
    [
      ['stats.team_points', 'skipped'],
      ['stats.top_team', 'skipped'],
    ],
    'forced, it skips both: the view is being refreshed, its dependent waits for the first',
  );
  t.match(second.runs[0]?.reason, /another refresher holds the lock on stats\.team_points|is refreshing stats\.team_points/);
  t.match(second.runs[1]?.reason, /parent stats\.team_points is being refreshed by another run/);
  await gate`select pg_advisory_unlock(${GATE})`;
  gate.release();
  t.equal(await first, 'done');

  const counts = await sql<{ object_name: string; n: number }[]>`
    select object_name, count(*)::int as n from refresh.run
     where status = 'success' and run_group > (select min(run_group) from refresh.run)
     group by 1 order by 1`;
  t.same(
    counts,
    [
      { object_name: 'stats.team_points', n: 1 },
      { object_name: 'stats.top_team', n: 1 },
    ],
    'each object was refreshed exactly once',
  );
  const [top] = await sql<{ team: string; points: number }[]>`select team, points::int from stats.top_team`;
  t.same(top, { team: 'B', points: 6 }, 'and the dependent was refreshed after its parent');
  const stale = await sql`select object from refresh.object where enabled and stale_since is not null`;
  t.equal(stale.length, 0, 'nothing is left stale');
});

async function readDuringRefresh(sql: Sql, method: 'concurrent' | 'full'): Promise<{ ok: boolean; code?: string }> {
  await sql`update refresh.object set method = ${method} where object = 'stats.team_points'::regclass`;
  await sql`insert into public.score values (${method === 'full' ? 10 : 11}, 'C', 1)`;
  const gate = await sql.reserve();
  const reader = await sql.reserve();
  try {
    await gate`select pg_advisory_lock(${GATE})`;
    const refreshing = sql`call refresh.run_due('manual', 'stats.team_points'::regclass)`.then(() => 'done');
    await waitAtGate(sql);
    let result: { ok: boolean; code?: string };
    try {
      await reader`set lock_timeout = '200ms'`;
      await reader`select count(*) from stats.team_points`;
      result = { ok: true };
    } catch (err) {
      result = { ok: false, code: (err as { code?: string }).code };
    }
    await gate`select pg_advisory_unlock(${GATE})`;
    await refreshing;
    return result;
  } finally {
    gate.release();
    reader.release();
  }
}

t.test('a reader under a short lock_timeout is never blocked by a CONCURRENTLY refresh', async (t) => {
  const { sql } = await testDb(t, { max: 8 });
  await setup(sql);
  const concurrent = await readDuringRefresh(sql, 'concurrent');
  t.same(concurrent, { ok: true }, 'the reader reads while the view refreshes CONCURRENTLY');
  const [run] = await sql<{ method: string; status: string }[]>`
    select method, status from refresh.run where object_name = 'stats.team_points' order by run_id desc limit 1`;
  t.same(run, { method: 'concurrent', status: 'success' }, 'the refresh it overlapped was a concurrent one');

  const full = await readDuringRefresh(sql, 'full');
  t.same(full, { ok: false, code: '55P03' }, 'the same reader times out behind a plain REFRESH (so this test can fail)');
});

t.test('a statement_timeout from the parameters bounds one object when the CLI drives the refresh', async (t) => {
  const { sql } = await testDb(t, { max: 8 });
  await setup(sql);
  await sql`update refresh.object set parameters = '{"lock_timeout": "120s", "statement_timeout": "300ms"}' where object = 'stats.team_points'::regclass`;
  await sql`insert into public.score values (20, 'D', 1)`;
  const gate = await sql.reserve();
  await gate`select pg_advisory_lock(${GATE})`;
  try {
    const res = await runRefresh(sql, { object: 'stats.team_points' });
    const own = res.runs.find((r) => r.object_name === 'stats.team_points');
    t.equal(own?.status, 'failed', 'the refresh held at the gate is cut off');
    t.equal(own?.error_sqlstate, '57014', "and audited with the timeout's SQLSTATE");
    const [st] = await sql<{ state: string; stale: boolean }[]>`
      select state, stale_since is not null as stale from refresh.status where object = 'stats.team_points'::regclass`;
    t.same(st, { state: 'failed', stale: true }, 'the view stays stale and shows the failure');
  } finally {
    await gate`select pg_advisory_unlock(${GATE})`;
    gate.release();
  }
  await sql`update refresh.object set parameters = '{}' where object = 'stats.team_points'::regclass`;
  const again = await runRefresh(sql, {});
  t.same(
    again.runs.map((r) => [r.object_name, r.status]),
    [
      ['stats.team_points', 'success'],
      ['stats.top_team', 'success'],
    ],
    'the next pass refreshes it and its dependent',
  );
});

/** refresh.status of the gate's views, by name. */
async function states(sql: Sql): Promise<Record<string, string>> {
  const rows = await sql<{ object: string; state: string }[]>`
    select object::text, state from refresh.status where object in ('stats.team_points'::regclass, 'stats.top_team'::regclass)`;
  return Object.fromEntries(rows.map((r) => [r.object, r.state]));
}

t.test('a write in flight when a refresh starts keeps the object stale, though it was stale already', async (t) => {
  const { sql } = await testDb(t, { max: 8 });
  await setup(sql);
  await sql`insert into public.score values (3, 'B', 5)`; // committed: both views stale
  t.same(await states(sql), { 'stats.team_points': 'stale', 'stats.top_team': 'stale' });

  // a second writer, still in flight: the views are stale already, so it marks nothing
  const writer = await sql.reserve();
  try {
    await writer`begin`;
    await writer`insert into public.score values (4, 'C', 9)`;
    await sql`call refresh.run_due('manual')`; // its snapshot cannot see C
    await writer`commit`;
  } finally {
    writer.release();
  }
  const [top] = await sql<{ team: string }[]>`select team from stats.top_team`;
  t.equal(top?.team, 'B', 'the refresh did not see the write in flight');
  t.same(
    await states(sql),
    { 'stats.team_points': 'stale', 'stats.top_team': 'stale' },
    'so refresh.status says stale, not fresh, once it commits',
  );
  await sql`call refresh.run_due('manual')`;
  const [after] = await sql<{ team: string }[]>`select team from stats.top_team`;
  t.equal(after?.team, 'C', 'the next pass has it');
  t.same(await states(sql), { 'stats.team_points': 'fresh', 'stats.top_team': 'fresh' }, 'and only then is it fresh');
});

t.test('a repeatable read writer whose snapshot predates a refresh fails to serialize rather than lose its mark', async (t) => {
  const { sql } = await testDb(t, { max: 8 });
  await setup(sql);
  await sql`insert into public.score values (3, 'B', 5)`; // both views stale
  const writer = await sql.reserve();
  try {
    await writer`begin isolation level repeatable read`;
    await writer`select count(*) from public.score`; // the snapshot: the views stale
    await sql`call refresh.run_due('manual')`; // clears their staleness
    t.same(await states(sql), { 'stats.team_points': 'fresh', 'stats.top_team': 'fresh' }, 'refreshed: fresh');
    await rejectsWith(
      t,
      writer`insert into public.score values (4, 'C', 9)`,
      { code: '40001' },
      'the write is a serialization failure (40001)',
    );
    await writer`rollback`;
  } finally {
    writer.release();
  }
  await sql`insert into public.score values (4, 'C', 9)`;
  t.same(await states(sql), { 'stats.team_points': 'stale', 'stats.top_team': 'stale' }, 'retried, it marks them stale');
});
