// Red team, the refresh registry and its audit (issue 12, item 1, "the same review"): the
// worker cannot point the owner's refresh at a function of its choice, register or drop
// objects, declare dependencies, or rewrite the audit of refreshes; it keeps exactly the
// writes its refreshes need. And no sql/ file executes stored or caller-supplied text
// outside the check evaluator.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../../src/embedded.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';

t.test('the worker cannot change what the owner’s refresh runs', async (t) => {
  const { sql } = await testDb(t);
  const registry = await sql`select object::text, method, refresh_function, parameters, enabled, priority from refresh.object order by 1`;
  const deps = await sql`select dependent::text, parent::text, strength from refresh.dependency order by 1, 2`;
  for (const [what, attack] of [
    [
      'point a refresh at another function',
      `update refresh.object set method = 'function', refresh_function = 'trade.refresh_strategy_performance' where object = 'stats.model_stats_club_agg'::regclass`,
    ],
    ['change a function object’s arguments', `update refresh.object set parameters = '{"args": {"x": 1}}' where method = 'function'`],
    ['lift a timeout', `update refresh.object set parameters = '{"statement_timeout": "0"}'`],
    ['disable refreshes', 'update refresh.object set enabled = false'],
    ['register an object', `insert into refresh.object (object, method) values ('stats.user_leaderboard', 'full')`],
    ['unregister objects', 'delete from refresh.object'],
    ['declare a dependency', `insert into refresh.dependency (dependent, parent) values ('stats.user_leaderboard', 'core.event')`],
    ['make a dependency soft', `update refresh.dependency set strength = 'soft'`],
    ['rewrite the staleness sources', 'delete from refresh.source'],
  ] as const) {
    await rejectsWith(
      t,
      asRole(sql, 'worker', (tx) => tx.unsafe(attack)),
      { code: '42501' },
      `${what}: 42501`,
    );
  }
  t.same(
    await sql`select object::text, method, refresh_function, parameters, enabled, priority from refresh.object order by 1`,
    registry,
    'the registry is unchanged',
  );
  t.same(await sql`select dependent::text, parent::text, strength from refresh.dependency order by 1, 2`, deps, 'and its dependencies');
  await asRole(sql, 'worker', (tx) => tx`update refresh.object set stale_since = now() where object = 'stats.user_leaderboard'::regclass`);
  t.pass('the worker still marks objects stale and records their refresh (its columns of refresh.object)');
});

t.test('the audit of refreshes: the worker appends and completes running runs, never rewrites or deletes', async (t) => {
  const { sql } = await testDb(t);
  await sql`call refresh.run_due('manual', null, true)`;
  const audit = await sql`select run_id, status, error_message from refresh.run order by run_id`;
  t.ok(audit.length > 0, `${audit.length} runs audited`);
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`update refresh.run set status = 'success', error_message = null where status <> 'running'`),
    { code: 'SL072', message: /is finished: an audit row is not changed/ },
    'rewriting a finished run: SL072',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`delete from refresh.run`),
    { code: '42501' },
    'deleting runs: 42501',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`update refresh.run set object_name = 'forged'`),
    { code: '42501' },
    'changing what a run was of: 42501',
  );
  t.same(await sql`select run_id, status, error_message from refresh.run order by run_id`, audit, 'the audit is unchanged');
  // a run of its own, running, it completes
  const [run] = await asRole(
    sql,
    'worker',
    (tx) => tx<{ run_id: string }[]>`
      insert into refresh.run (object_name, trigger_source, status) values ('mine', 'cron', 'running') returning run_id::text`,
  );
  await asRole(
    sql,
    'worker',
    (tx) => tx`update refresh.run set status = 'success', finished_at = clock_timestamp() where run_id = ${run!.run_id}`,
  );
  const [mine] = await sql<{ status: string }[]>`select status from refresh.run where run_id = ${run!.run_id}`;
  t.equal(mine?.status, 'success', 'a running run is completed by the worker');
  await sql`update refresh.run set reason = 'repaired by a DBA' where run_id = ${run!.run_id}`;
  t.pass('the owner (here a superuser) may still repair a finished run');
});

t.test('no sql/ file executes stored or caller-supplied text, except the check evaluator', async (t) => {
  const dir = path.join(repoRoot, 'sql');
  const offenders: string[] = [];
  let dynamic = 0;
  for (const name of (await fs.readdir(dir)).filter((n) => n.endsWith('.sql')).sort()) {
    const lines = (await fs.readFile(path.join(dir, name), 'utf8')).split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/--.*$/, '');
      for (const m of code.matchAll(/\bexecute\b\s*(.*)$/gi)) {
        const next = m[1]!.toLowerCase();
        // triggers, grants and privileges name routines; they execute nothing
        if (/^(function|procedure|on)\b/.test(next) || /\b(grant|revoke)\s+execute\b/i.test(code)) continue;
        if (next.startsWith('format(') || /^'[^']*'\s*;/.test(next)) {
          dynamic += 1; // a catalog name quoted through format('%I'/%s of a regclass), or a constant
          continue;
        }
        offenders.push(`sql/${name}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  t.ok(dynamic > 20, `the scan sees the dynamic statements (${dynamic})`);
  t.equal(offenders.length, 1, 'one statement executes text', { offenders });
  t.match(
    offenders[0],
    /^sql\/032_refresh_checks\.sql:\d+: execute p_query into v_value;$/,
    'refresh.evaluate_check’s, as the checker role',
  );
});
