// Faults during a refresh. A statement_timeout cuts a refresh off: the audit says 57014
// and a concurrent reader keeps reading. PostgreSQL stopped and started again in the
// middle of a refresh (a private embedded cluster, never the shared one): the reaper marks
// that run failed and the next pass succeeds. A gate (an advisory lock the view's query
// waits on) holds the refresh open deterministically.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { connect, type Sql } from '../src/db.ts';
import { embeddedPaths, embeddedUrl, repoRoot, startEmbedded, stopEmbedded } from '../src/embedded.ts';
import { migrate } from '../src/migrate.ts';
import { runRefresh } from '../src/refresh.ts';
import { testDb } from './helpers/db.ts';

const GATE = 5151;

async function setup(sql: Sql, statementTimeout?: string): Promise<void> {
  await sql`update refresh.object set enabled = false`;
  await sql.unsafe(`
    create function public.gate() returns boolean language plpgsql volatile as $$
    begin
      perform pg_advisory_xact_lock_shared(${GATE});
      return true;
    end $$;
    create table public.score (id int primary key, team text not null, points int not null);
    insert into public.score values (1, 'A', 3), (2, 'B', 1);
    create materialized view stats.fault_points as
      select team, sum(points) as points from public.score where public.gate() group by team with no data;
    create unique index fault_points_team on stats.fault_points (team);
  `);
  const params = { lock_timeout: '120s', ...(statementTimeout ? { statement_timeout: statementTimeout } : {}) };
  await sql`update refresh.object set parameters = ${sql.json(params)} where object = 'stats.fault_points'::regclass`;
  await sql`call refresh.run_due()`;
}

async function waitAtGate(sql: Sql, seconds = 15): Promise<boolean> {
  for (let i = 0; i < seconds * 40; i++) {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${GATE} and not granted`;
    if ((row?.n ?? 0) > 0) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

t.test('a statement_timeout inside a refresh: audited as 57014, readers unaffected', async (t) => {
  const { sql } = await testDb(t, { max: 8 });
  await setup(sql, '2s');
  await sql`insert into public.score values (3, 'C', 5)`;
  const gate = await sql.reserve();
  await gate`select pg_advisory_lock(${GATE})`;
  const reader = await sql.reserve();
  await reader`set lock_timeout = '500ms'`;
  let result: Awaited<ReturnType<typeof runRefresh>> | undefined;
  try {
    const refreshing = runRefresh(sql, { object: 'stats.fault_points' });
    t.ok(await waitAtGate(sql), 'the refresh is inside the view query, held at the gate');
    const reads: string[] = [];
    let errors = 0;
    for (let i = 0; i < 10; i++) {
      try {
        const rows = await reader<{ team: string }[]>`select team from stats.fault_points order by team`;
        reads.push(rows.map((r) => r.team).join(''));
      } catch {
        errors += 1;
      }
    }
    const [running] = await sql<{ n: number }[]>`
      select count(*)::int as n from refresh.run where object_name = 'stats.fault_points' and status = 'running'`;
    t.equal(running?.n, 1, 'the reads happened while the run was in progress');
    t.equal(errors, 0, 'no read failed or waited out its lock_timeout');
    t.same(new Set(reads), new Set(['AB']), 'every read saw the last refreshed contents');
    result = await refreshing;
  } finally {
    await gate`select pg_advisory_unlock(${GATE})`;
    gate.release();
  }
  const own = result?.runs.find((r) => r.object_name === 'stats.fault_points');
  t.equal(own?.status, 'failed', 'the refresh failed');
  t.equal(own?.error_sqlstate, '57014', 'the audit says SQLSTATE 57014');
  t.match(own?.error_message, /statement timeout/, 'canceling statement due to statement timeout');
  const [st] = await sql<{ state: string; stale: boolean; last_error: string }[]>`
    select s.state, s.stale_since is not null as stale, o.last_error
      from refresh.status s join refresh.object o using (object) where object = 'stats.fault_points'::regclass`;
  t.match(st, { state: 'failed', stale: true, last_error: /57014/ }, 'refresh.status shows the failure and the view stays stale');
  const rows = await reader<{ team: string }[]>`select team from stats.fault_points order by team`;
  t.same(
    rows.map((r) => r.team),
    ['A', 'B'],
    'a reader after the failure still reads the old contents',
  );
  reader.release();

  const again = await runRefresh(sql, { object: 'stats.fault_points' });
  t.same(
    again.runs.map((r) => [r.object_name, r.status]),
    [['stats.fault_points', 'success']],
    'the next refresh succeeds',
  );
  const after = await sql<{ team: string }[]>`select team from stats.fault_points order by team`;
  t.same(
    after.map((r) => r.team),
    ['A', 'B', 'C'],
    'and brings the new row',
  );
});

t.test('PostgreSQL stopped and started during a refresh: that run is marked failed, the next one succeeds', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-fault-pg-'));
  await fs.chmod(root, 0o755); // the cluster may run as another user
  const paths = embeddedPaths(root);
  const savedPort = process.env.SCORELINE_PGPORT;
  delete process.env.SCORELINE_PGPORT; // a free port, not the shared server's
  t.teardown(async () => {
    await stopEmbedded(paths).catch(() => false);
    await fs.rm(root, { recursive: true, force: true });
    if (savedPort !== undefined) process.env.SCORELINE_PGPORT = savedPort;
  });
  const state = await startEmbedded(paths);
  const url = embeddedUrl(state);
  await migrate(url);
  // separate clients: the ones alive at the stop are dropped, a new one talks to the restarted server
  const before_ = connect(url, { max: 2 });
  const gate = connect(url, { max: 1 });
  const refresher = connect(url, { max: 1, onNotice: () => {} });
  const drop = (c: Sql) => c.end({ timeout: 0 }).catch(() => {});
  t.teardown(async () => {
    await Promise.all([drop(before_), drop(gate), drop(refresher)]);
  });
  await setup(before_);
  await before_`insert into public.score values (3, 'C', 5)`;

  await gate`select pg_advisory_lock(${GATE})`;
  const refreshing = refresher`call refresh.run_due('manual')`.then(
    () => null,
    (err: { code?: string; message?: string }) => err,
  );
  t.ok(await waitAtGate(before_), 'the refresh is inside the view query, held at the gate');
  const [before] = await before_<{ run_id: string; backend_pid: number }[]>`
    select run_id::text, backend_pid from refresh.run where object_name = 'stats.fault_points' and status = 'running'`;
  t.ok(before, 'its run is audited as running');

  t.ok(await stopEmbedded(paths), 'PostgreSQL stopped mid-refresh');
  const err = await refreshing;
  t.ok(err, `the refresher's call failed: ${err?.message ?? ''}`);
  await Promise.all([drop(before_), drop(gate), drop(refresher)]);

  await startEmbedded(paths);
  const sql = connect(url, { max: 2, onNotice: () => {} });
  t.teardown(() => drop(sql));
  const [row] = await sql<{ status: string }[]>`select status from refresh.run where run_id = ${before!.run_id}::bigint`;
  t.equal(row?.status, 'running', 'after the restart the run is still marked running');
  const [reaped] = await sql<{ n: number }[]>`select refresh.reap() as n`;
  t.equal(reaped?.n, 1, 'the reaper marks it');
  const [dead] = await sql<{ status: string; error_sqlstate: string; error_message: string }[]>`
    select status, error_sqlstate, error_message from refresh.run where run_id = ${before!.run_id}::bigint`;
  t.match(
    dead,
    { status: 'failed', error_sqlstate: 'SL071', error_message: new RegExp(`abandoned: backend ${before!.backend_pid} stopped`) },
    'failed (SL071): abandoned by its backend',
  );
  const [st] = await sql<{ stale: boolean }[]>`
    select stale_since is not null as stale from refresh.object where object = 'stats.fault_points'::regclass`;
  t.equal(st?.stale, true, 'the view is stale again');

  await sql`call refresh.run_due('manual')`;
  const [next] = await sql<{ status: string }[]>`
    select status from refresh.run where object_name = 'stats.fault_points' order by run_id desc limit 1`;
  t.equal(next?.status, 'success', 'the next pass succeeds');
  const teams = await sql<{ team: string }[]>`select team from stats.fault_points order by team`;
  t.same(
    teams.map((r) => r.team),
    ['A', 'B', 'C'],
    'with the row written before the restart',
  );
});

t.test('`scoreline refresh` when PostgreSQL restarts mid-refresh: exits 1, says what failed, closes the run as failed', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-fault-cli-'));
  await fs.chmod(root, 0o755);
  const paths = embeddedPaths(root);
  const savedPort = process.env.SCORELINE_PGPORT;
  delete process.env.SCORELINE_PGPORT;
  t.teardown(async () => {
    await stopEmbedded(paths).catch(() => false);
    await fs.rm(root, { recursive: true, force: true });
    if (savedPort !== undefined) process.env.SCORELINE_PGPORT = savedPort;
  });
  const state = await startEmbedded(paths);
  const url = embeddedUrl(state);
  await migrate(url);
  const setupSql = connect(url, { max: 2, onNotice: () => {} });
  const gate = connect(url, { max: 1 });
  const drop = (c: Sql) => c.end({ timeout: 0 }).catch(() => {});
  t.teardown(async () => {
    await Promise.all([drop(setupSql), drop(gate)]);
  });
  await setup(setupSql);
  await setupSql`insert into public.score values (3, 'C', 5)`;
  // The gate is held inside an open transaction: an idle pooled connection would be closed
  // (idle_timeout) while a slow CLI process starts, and its session lock with it.
  let openGate!: () => void;
  const gateOpen = new Promise<void>((r) => (openGate = r));
  t.teardown(() => openGate());
  let gateHeld!: () => void;
  const held = new Promise<void>((r) => (gateHeld = r));
  void gate
    .begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${GATE})`;
      gateHeld();
      await gateOpen;
    })
    .catch(() => {});
  await held;

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'refresh', '--object', 'stats.fault_points', '--reconnect-seconds', '60'],
    {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  // A CLI process starts slowly on a busy machine: wait for it as long as it takes.
  t.ok(await waitAtGate(setupSql, 180), 'the command is inside the view query, held at the gate');
  const [before] = await setupSql<{ run_id: string }[]>`
    select run_id::text from refresh.run where object_name = 'stats.fault_points' and status = 'running'`;
  t.ok(before, 'its run is audited as running');

  t.ok(await stopEmbedded(paths), 'PostgreSQL stopped mid-refresh');
  await Promise.all([drop(setupSql), drop(gate)]);
  await startEmbedded(paths);

  const code = await exited;
  t.equal(code, 1, `exit code 1; output: ${out}`);
  t.match(out, /connection to PostgreSQL was lost during the refresh/, 'it says the refresh was interrupted');
  t.match(out, /1 interrupted run marked failed \(SL071\)/, 'and that it closed the run');
  const sql = connect(url, { max: 1, onNotice: () => {} });
  t.teardown(() => drop(sql));
  const [row] = await sql<{ status: string; error_sqlstate: string }[]>`
    select status, error_sqlstate from refresh.run where run_id = ${before!.run_id}::bigint`;
  t.same(row, { status: 'failed', error_sqlstate: 'SL071' }, 'the run is failed when the command has exited, before any other pass');
});
