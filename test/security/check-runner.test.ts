// Red team, data-quality checks (issue 12, item 1): a check cannot become code execution.
// The worker may not define checks; and a check's query, whoever stored it, runs as the
// checker role (read-only, under its timeout) when the DBA refreshes as a superuser: no
// program runs, no server file or catalog secret is read, and what reaches the reader
// role (refresh.status) is a SQLSTATE and a generic reason, never the error's text.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import type { Sql } from '../../src/db.ts';
import { migrate } from '../../src/migrate.ts';
import { runChecks } from '../../src/tasks/nightly_sync.ts';
import { games, league, models, predict } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole, asRoleSession, roleName } from '../helpers/roles.ts';

async function checkCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from refresh."check"`;
  return row!.n;
}

t.test('the worker cannot define, change or forge checks', async (t) => {
  const { sql } = await testDb(t);
  const pwn = `/tmp/scoreline-pwn-${randomBytes(6).toString('hex')}`;
  const before = await checkCount(sql);
  const shipped = await sql`select name, query, expected, min_value, max_value, severity, enabled from refresh."check" order by name`;
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) => tx`insert into refresh."check" (name, object, query, expected, severity)
                 values ('x', 'stats.user_leaderboard', ${`copy (select 1) to program 'id > ${pwn}'`}, 0, 'warn')`,
    ),
    { code: '42501', message: /permission denied for table check/ },
    'the issue’s attack, inserting a check that runs a program: 42501',
  );
  for (const [what, attack] of [
    ['rewrite a shipped check', `update refresh."check" set query = 'select 0' where name = 'forecast_no_orphaned_rows'`],
    ['loosen a threshold', `update refresh."check" set max_value = 1 where name = 'stats_unknown_position_share'`],
    ['disable a check', `update refresh."check" set enabled = false`],
    ['delete checks', `delete from refresh."check"`],
    ['define one through refresh.define_check', `select refresh.define_check('y', null, 'select 0', 0, null, null, 'warn', null)`],
    [
      'forge a passing result',
      `insert into refresh.check_result (check_id, passed) select check_id, true from refresh."check" where name = 'forecast_no_orphaned_rows'`,
    ],
    ['delete the results', 'delete from refresh.check_result'],
    ['call the evaluator with a query of its own', `select refresh.evaluate_check('select 1', '1 second')`],
  ] as const) {
    await rejectsWith(
      t,
      asRole(sql, 'worker', (tx) => tx.unsafe(attack)),
      { code: '42501' },
      `${what}: 42501`,
    );
  }
  t.equal(await checkCount(sql), before, 'no check added or removed');
  t.same(
    await sql`select name, query, expected, min_value, max_value, severity, enabled from refresh."check" order by name`,
    shipped,
    'and every check as shipped',
  );
  t.notOk(existsSync(pwn), 'no file written');
  // what the worker may do: run the stored checks
  const ran = await asRole(sql, 'worker', (tx) => tx<{ passed: boolean }[]>`select passed from refresh.run_checks()`);
  t.equal(ran.length, before, 'the worker still runs every check');
});

t.test('a stored query runs as the checker role: no program, no server file, no catalog secret, nothing leaked', async (t) => {
  const { sql } = await testDb(t);
  const pwn = `/tmp/scoreline-pwn-${randomBytes(6).toString('hex')}`;
  const hostname = readFileSync('/etc/hostname', 'utf8').trim();
  // Stored as the superuser (the worker no longer can): the runner itself must not execute them with its rights.
  const hostile: [string, string][] = [
    ['pwn_program', `copy (select 1) to program 'id > ${pwn}'`],
    ['pwn_file_write', `copy (select 1) to '${pwn}'`],
    ['pwn_read_file', `select pg_read_file('/etc/hostname')::numeric`],
    ['pwn_ls_dir', `select count(*) from pg_ls_dir('/')`],
    ['pwn_authid', `select count(*) from pg_authid`],
    ['pwn_passwords', `select (select rolpassword from pg_authid limit 1)::numeric`],
    ['pwn_internal', `select count(*) from refresh.run`],
    ['pwn_job_queue', `select count(*) from graphile_worker._private_jobs`],
    ['pwn_writer', `select forecast.create_baseline_predictions('x')`],
    ['pwn_enqueue', `select worker.add_job('refresh', '{}'::json)::numeric`],
    ['pwn_set_role', `select set_config('role', 'postgres', true)::numeric`],
    ['pwn_leak_text', `select 'secret-text-1234'::numeric`],
  ];
  for (const [name, query] of hostile) {
    await sql`insert into refresh."check" (name, object, query, expected, severity)
              values (${name}, 'stats.user_leaderboard', ${query}, 0, 'error')`;
  }
  const runsBefore = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run`;
  // the DBA's refresh, as a superuser
  await sql`call refresh.run_due('manual', 'stats.user_leaderboard', true)`;
  await sql`select * from refresh.run_checks()`;
  t.notOk(existsSync(pwn), 'COPY TO PROGRAM and COPY TO a file wrote nothing');

  const results = await sql<{ name: string; passed: boolean; error_sqlstate: string | null; error_message: string | null }[]>`
    select distinct on (c.name) c.name, r.passed, r.error_sqlstate, r.error_message
      from refresh.check_result r join refresh."check" c using (check_id)
     where c.name like 'pwn\\_%' order by c.name, r.check_result_id desc`;
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  for (const name of [
    'pwn_program',
    'pwn_file_write',
    'pwn_read_file',
    'pwn_ls_dir',
    'pwn_authid',
    'pwn_passwords',
    'pwn_internal',
    'pwn_job_queue',
    'pwn_writer',
    'pwn_enqueue',
    'pwn_set_role',
  ]) {
    t.equal(by[name]?.passed, false, `${name} failed`);
    t.equal(by[name]?.error_sqlstate, '42501', `${name}: insufficient privilege (${by[name]?.error_message})`);
  }
  t.equal(by.pwn_leak_text?.error_sqlstate, '22P02', 'the text cast fails as a data exception');
  t.match(by.pwn_leak_text?.error_message, /secret-text-1234/, 'its full message is kept for the owner and the worker');
  for (const r of results) t.notMatch(r.error_message ?? '', new RegExp(hostname), `${r.name}: no hostname in the recorded error`);

  const seen = await asRole(
    sql,
    'reader',
    (tx) => tx<{ state: string; reason: string }[]>`
    select state, reason from refresh.status where object = 'stats.user_leaderboard'::regclass`,
  );
  t.equal(seen[0]?.state, 'failed', 'the reader sees the object failing its checks');
  t.match(seen[0]?.reason, /data-quality check 'pwn_\w+' failed: its query failed: \w[\w ,()]* \(SQLSTATE [0-9A-Z]{5}\)/);
  const everything = await asRole(sql, 'reader', (tx) => tx<{ reason: string | null }[]>`select reason from refresh.status`);
  const text = everything.map((r) => r.reason ?? '').join('\n');
  t.notOk(text.includes(hostname), 'no file content reaches refresh.status');
  t.notOk(text.includes('secret-text-1234'), 'nor the text of an error');
  t.notOk(/permission denied|pg_authid/.test(text), 'nor any error message');
  const dependents = await sql<{ o: string }[]>`
    select dependent::text as o from refresh.dependency where parent = 'stats.user_leaderboard'::regclass`;
  for (const { o } of dependents) {
    const [d] = await asRole(
      sql,
      'reader',
      (tx) => tx<{ reason: string | null }[]>`select refresh.blocked_reason(${o}::regclass) as reason`,
    );
    t.notOk((d?.reason ?? '').includes('secret-text-1234'), `nor the reason ${o} is blocked`);
  }
  const [runsAfter] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run`;
  t.ok(runsAfter!.n > runsBefore[0]!.n, 'the refresh itself ran and was audited');
});

t.test('checks run read-only, as the checker, under their lock timeout and statement timeout', async (t) => {
  const { sql } = await testDb(t, { max: 6 });
  const checker = await roleName(sql, 'checker');
  await sql`insert into refresh."check" (name, query, expected, severity) values
              ('who', ${`select (current_user = '${checker}' and session_user <> '${checker}')::int`}, 1, 'warn'),
              ('read_only', $$select (current_setting('transaction_read_only') = 'on')::int$$, 1, 'warn'),
              ('writes', $$select count(*) from (select forecast.dq_orphaned_rows()) x where pg_catalog.nextval('refresh.run_group_seq') > 0$$, 0, 'warn')`;
  const rows = await sql<{ check_name: string; passed: boolean; detail: string | null }[]>`
    select check_name, passed, detail from refresh.run_checks() where check_name in ('who', 'read_only', 'writes') order by 1`;
  t.same(
    rows.map((r) => [r.check_name, r.passed]),
    [
      ['read_only', true],
      ['who', true],
      ['writes', false],
    ],
    'the query runs as the checker role, in a read-only transaction',
  );
  t.match(rows.find((r) => r.check_name === 'writes')?.detail, /42501|25006/, 'a query that writes fails');

  // a lock it waits for: it gives up after its timeout (without one, this would wait for the lock's holder)
  await sql`insert into refresh."check" (name, query, expected, severity, timeout)
            values ('locked', 'select count(*) from market.market', 0, 'warn', '200 milliseconds')`;
  const holder = await sql.reserve();
  t.teardown(() => holder.release());
  await holder`begin`;
  await holder`lock table market.market in access exclusive mode`;
  const [locked] = await sql<{ passed: boolean; detail: string }[]>`select passed, detail from refresh.run_check('locked')`;
  await holder`rollback`;
  t.equal(locked?.passed, false, 'a check waiting for a lock longer than its timeout fails');
  t.match(locked?.detail, /SQLSTATE 55P03/, 'with lock_not_available');

  // a query that runs longer than its timeout: the nightly report runs each check as its own statement
  await sql`insert into refresh."check" (name, query, expected, severity, timeout)
            values ('slow', 'select count(*) from pg_sleep(60)', 1, 'warn', '200 milliseconds')`;
  const report = await runChecks(sql);
  const slow = report.find((c) => c.check_name === 'slow');
  t.equal(slow?.passed, false, 'a check running past its timeout fails');
  t.match(slow?.detail, /SQLSTATE 57014/, 'cancelled by its statement timeout');
  t.ok(
    report.some((c) => c.check_name === 'who' && c.passed),
    'and the report goes on with the next checks',
  );
  await rejectsWith(
    t,
    sql`insert into refresh."check" (name, query, expected, timeout) values ('too_long', 'select 0', 0, '2 hours')`,
    { code: '23514', constraint: 'check_timeout_range' },
    'a timeout over an hour is refused',
  );
  await rejectsWith(
    t,
    sql`insert into refresh."check" (name, query, expected, timeout) values ('no_time', 'select 0', 0, '0 seconds')`,
    { code: '23514', constraint: 'check_timeout_range' },
    'and one of zero',
  );
});

t.test('the checker role: no login, no superuser, reads the data, executes only the dq_* functions', async (t) => {
  const { sql } = await testDb(t);
  const checker = await roleName(sql, 'checker');
  const [r] = await sql<{ rolcanlogin: boolean; rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean }[]>`
    select rolcanlogin, rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = ${checker}`;
  t.same(r, { rolcanlogin: false, rolsuper: false, rolbypassrls: false, rolcreaterole: false }, 'NOLOGIN, no superuser, no BYPASSRLS');
  const [groups] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_roles g where pg_has_role(${checker}, g.oid, 'MEMBER') and g.rolname <> ${checker}`;
  t.equal(groups!.n, 0, 'a member of no role at all (no pg_read_server_files, pg_execute_server_program, …)');
  const [fn] = await sql<{ owner: string; prosecdef: boolean; proconfig: string[] }[]>`
    select pg_get_userbyid(proowner) as owner, prosecdef, proconfig from pg_proc
     where oid = 'refresh.evaluate_check(text, interval)'::regprocedure`;
  t.equal(fn?.owner, checker, 'the evaluator is owned by the checker role');
  t.ok(fn?.prosecdef, 'and security definer');
  t.ok(fn?.proconfig.includes('search_path=pg_catalog, pg_temp'), 'with a pinned search_path');
  const executable = await sql<{ fn: string }[]>`
    select p.oid::regprocedure::text as fn
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker', 'graphile_worker')
       and p.prokind in ('f', 'p') and p.proowner <> ${checker}::regrole
       and has_function_privilege(${checker}, p.oid, 'execute')
     order by 1`;
  t.ok(executable.length >= 5, `it executes the data-quality functions (${executable.map((e) => e.fn).join(', ')})`);
  t.same(
    executable.filter((e) => !/\.dq_\w+\(/.test(e.fn) && e.fn !== 'stats.model_stats_full()'),
    [],
    'and nothing else of scoreline: no function that writes',
  );
  const [writes] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker', 'graphile_worker')
       and c.relkind in ('r', 'p', 'v', 'm')
       and (has_table_privilege(${checker}, c.oid, 'insert') or has_table_privilege(${checker}, c.oid, 'update')
            or has_table_privilege(${checker}, c.oid, 'delete') or has_table_privilege(${checker}, c.oid, 'truncate'))`;
  t.equal(writes!.n, 0, 'it may write no table');
  const [internals] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('refresh', 'ingest', 'worker', 'graphile_worker') and c.relkind in ('r', 'p', 'v', 'm')
       and has_table_privilege(${checker}, c.oid, 'select')`;
  t.equal(internals!.n, 0, 'nor read the refresh, ingest, worker and queue internals');
});

t.test('the shipped checks keep working as the checker, on real data, and see every row', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'chk', teams: 6 });
  const gs = await games(sql, lg, 6);
  const [home, away] = await models(sql, ['always_home', 'always_away']);
  for (const g of gs) {
    await predict(sql, home!, g.home, 2);
    await predict(sql, away!, g.away, 3);
  }
  for (const g of gs.slice(0, 4)) {
    await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = ${g.event_id}`;
    await sql`select forecast.score_event(${g.event_id})`;
  }
  await sql`call refresh.run_due('manual', null, true)`;
  const [counts] = await sql<{ p: number; s: number }[]>`
    select (select count(*) from forecast.prediction)::int as p, (select count(*) from forecast.prediction_score)::int as s`;
  t.ok(counts!.p === 12 && counts!.s === 8, 'predictions and scores to count');
  await sql`insert into refresh."check" (name, query, expected, severity) values
              ('sees_predictions', 'select count(*) from forecast.prediction', ${counts!.p}, 'error'),
              ('sees_scores', 'select count(*) from forecast.prediction_score', ${counts!.s}, 'error')`;
  const shipped = await sql<{ name: string; query: string }[]>`select name, query from refresh."check" order by name`;
  const results = await asRole(
    sql,
    'worker',
    (tx) =>
      tx<{ check_name: string; passed: boolean; value: string | null; detail: string | null }[]>`
      select check_name, passed, value::text, detail from refresh.run_checks() order by 1`,
  );
  t.equal(results.length, shipped.length, 'every check ran');
  for (const r of results) t.ok(r.passed, `${r.check_name} passes (${r.value}${r.detail ? `: ${r.detail}` : ''})`);
  // the same queries as the superuser, who bypasses row-level security: the same values
  for (const c of shipped.filter((c) => !c.name.startsWith('stats_model_stats_match'))) {
    const [direct] = await sql.unsafe<{ v: string }[]>(`select (${c.query})::text as v`);
    t.equal(results.find((r) => r.check_name === c.name)?.value, direct?.v, `${c.name}: the checker sees what the superuser sees`);
  }
  const nightly = await runChecks(sql);
  t.ok(nightly.length === shipped.length && nightly.every((c) => c.passed), 'the nightly report, a statement per check, passes too');
  const viaWorker = await asRoleSession(
    sql,
    'worker',
    (s) => s<{ report: { checks: number; failed: number } }[]>`
    select worker.nightly_sync() as report`,
  );
  t.same(
    viaWorker[0]?.report && [viaWorker[0].report.checks, viaWorker[0].report.failed],
    [shipped.length, 0],
    'and worker.nightly_sync()',
  );
});

t.test('a checker role that could do more than read is refused, at migrate and when checks run', async (t) => {
  const { sql, url } = await testDb(t, { empty: true });
  const prefix = `slchk_${randomBytes(4).toString('hex')}`;
  const names = ['owner', 'worker', 'app', 'reader', 'checker'].map((k) => `${prefix}_${k}`);
  t.teardown(async () => {
    await sql.unsafe(`drop owned by ${names.join(', ')}`).catch(() => {});
    for (const n of names) await sql.unsafe(`drop role if exists ${n}`);
  });
  await sql.unsafe(`create role ${prefix}_checker login`);
  const saved = process.env.SCORELINE_ROLE_PREFIX;
  process.env.SCORELINE_ROLE_PREFIX = prefix;
  try {
    await rejectsWith(t, migrate(url), { code: 'SL143', message: /checker role .* holds LOGIN/ }, 'a checker role that may log in: SL143');
    await sql.unsafe(`alter role ${prefix}_checker nologin`);
    await migrate(url);
  } finally {
    if (saved === undefined) delete process.env.SCORELINE_ROLE_PREFIX;
    else process.env.SCORELINE_ROLE_PREFIX = saved;
  }
  const [ok] = await sql<{ passed: boolean }[]>`select passed from refresh.run_check('forecast_no_orphaned_rows')`;
  t.equal(ok?.passed, true, 'once NOLOGIN, the migration completes and checks run');
  await sql.unsafe(`grant pg_read_server_files to ${prefix}_checker`);
  const [refused] = await sql<
    { passed: boolean; detail: string }[]
  >`select passed, detail from refresh.run_check('forecast_no_orphaned_rows')`;
  t.equal(refused?.passed, false, 'granted pg_read_server_files: the check is not run');
  t.match(refused?.detail, /may do more than read: no check is run \(SQLSTATE SL143\)/, 'SL143');
  await sql.unsafe(`revoke pg_read_server_files from ${prefix}_checker`);
});
