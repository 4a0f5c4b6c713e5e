// Checkpoints of long jobs (start, advance, resume after an interruption, complete,
// expiry by the reaper, one active per function and target), and the
// `scoreline refresh` / `scoreline dag` commands as an operator runs them.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

interface Checkpoint {
  checkpoint_id: string;
  position: string;
  total: string | null;
  status: string;
  state: Record<string, unknown>;
}

t.test('a long job resumes from its checkpoint, completes, and starts over afterwards', async (t) => {
  const { sql } = await testDb(t);
  const [cp] = await sql<Checkpoint[]>`select checkpoint_id::text, position::text, total::text, status, state
                                         from refresh.checkpoint_start('ingest.odds', 'odds_2026.csv', 1000)`;
  t.same([cp?.position, cp?.total, cp?.status], ['0', '1000', 'active'], 'a new checkpoint starts at 0');
  await sql`select refresh.checkpoint_advance(${cp!.checkpoint_id}::bigint, 400, '{"line": 401}')`;

  // the job dies here; a new run asks where to resume
  const [resumed] = await sql<Checkpoint[]>`select checkpoint_id::text, position::text, total::text, status, state
                                              from refresh.checkpoint_resume('ingest.odds', 'odds_2026.csv')`;
  t.same(
    [resumed?.checkpoint_id, resumed?.position, resumed?.state],
    [cp?.checkpoint_id, '400', { line: 401 }],
    'resume returns where it stopped',
  );
  const [again] = await sql<
    Checkpoint[]
  >`select checkpoint_id::text, position::text from refresh.checkpoint_start('ingest.odds', 'odds_2026.csv', 1000)`;
  t.same(
    [again?.checkpoint_id, again?.position],
    [cp?.checkpoint_id, '400'],
    'starting again returns the active checkpoint, not a new one',
  );

  await rejectsWith(t, sql`select refresh.checkpoint_advance(${cp!.checkpoint_id}::bigint, 300)`, {
    code: 'SL066',
    message: /position 300 is outside 400 \.\. 1000/,
  });
  await rejectsWith(t, sql`select refresh.checkpoint_advance(${cp!.checkpoint_id}::bigint, 1001)`, { code: 'SL066' });
  await rejectsWith(
    t,
    sql`insert into refresh.checkpoint (function_name, target) values ('ingest.odds', 'odds_2026.csv')`,
    { code: '23505', constraint: 'checkpoint_one_active' },
    'one active checkpoint per function and target',
  );
  await rejectsWith(t, sql`insert into refresh.checkpoint (function_name, target, position, total) values ('x', 'y', 5, 4)`, {
    code: '23514',
    constraint: 'checkpoint_position_in_range',
  });
  await rejectsWith(t, sql`insert into refresh.checkpoint (function_name, target, status) values ('x', 'y', 'paused')`, {
    code: '23514',
    constraint: 'checkpoint_status_known',
  });

  const [done] = await sql<Checkpoint[]>`select status, position::text from refresh.checkpoint_complete(${cp!.checkpoint_id}::bigint)`;
  t.same([done?.status, done?.position], ['completed', '1000']);
  await rejectsWith(t, sql`select refresh.checkpoint_complete(${cp!.checkpoint_id}::bigint)`, { code: 'SL065', message: /is not active/ });
  await rejectsWith(t, sql`select refresh.checkpoint_advance(${cp!.checkpoint_id}::bigint, 1000)`, { code: 'SL065' });
  const [fresh] = await sql<
    Checkpoint[]
  >`select checkpoint_id::text, position::text from refresh.checkpoint_start('ingest.odds', 'odds_2026.csv')`;
  t.not(fresh?.checkpoint_id, cp?.checkpoint_id, 'after completion a new run starts a new checkpoint');
  t.equal(fresh?.position, '0');
});

t.test('the reaper expires checkpoints past their expiry; an expired one is not resumed', async (t) => {
  const { sql } = await testDb(t);
  const [cp] = await sql<
    Checkpoint[]
  >`select checkpoint_id::text from refresh.checkpoint_start('backfill.scores', '2025', null, interval '1 hour')`;
  await sql`update refresh.checkpoint set expires_at = now() - interval '1 minute' where checkpoint_id = ${cp!.checkpoint_id}::bigint`;
  const [gone] = await sql<
    { id: string | null }[]
  >`select (refresh.checkpoint_resume('backfill.scores', '2025')).checkpoint_id::text as id`;
  t.equal(gone?.id, null, 'an expired checkpoint is not offered for resumption');
  await rejectsWith(t, sql`select refresh.checkpoint_advance(${cp!.checkpoint_id}::bigint, 1)`, { code: 'SL065', message: /expired/ });
  await sql`select refresh.reap()`;
  const [row] = await sql<{ status: string }[]>`select status from refresh.checkpoint where checkpoint_id = ${cp!.checkpoint_id}::bigint`;
  t.equal(row?.status, 'expired', 'the reaper marks it expired');
  const [next] = await sql<
    Checkpoint[]
  >`select checkpoint_id::text, position::text from refresh.checkpoint_start('backfill.scores', '2025')`;
  t.not(next?.checkpoint_id, cp?.checkpoint_id, 'the next run starts a new one');
});

const run = promisify(execFile);

t.test('scoreline refresh and scoreline dag', async (t) => {
  const { sql, url } = await testDb(t);
  await sql`update refresh.object set enabled = false`;
  await sql.unsafe(`
    create table public.lap (id int primary key, ms int not null);
    insert into public.lap values (1, 61000);
    create materialized view stats.best_lap as select min(ms) as ms from public.lap with no data;
  `);
  const cli = path.join(repoRoot, 'bin', 'scoreline');
  const env = { ...process.env, DATABASE_URL: url };
  const dry = await run(cli, ['refresh', '--dry-run'], { env });
  t.match(
    JSON.parse(dry.stdout),
    { step: 1, level: 0, object: 'stats.best_lap', method: 'full', reason: /^stale since/ },
    '--dry-run prints the plan',
  );
  const [still] = await sql<
    { populated: boolean }[]
  >`select relispopulated as populated from pg_class where oid = 'stats.best_lap'::regclass`;
  t.equal(still?.populated, false, 'and refreshes nothing');

  const real = await run(cli, ['refresh', '--trigger', 'cron', '--format', 'table'], { env });
  t.match(
    real.stdout,
    /^status +object +method +rows_before +rows_after +ms +detail\nsuccess +stats\.best_lap +full +1 +\d+\n$/,
    'refresh prints what it did',
  );
  const [audit] = await sql<
    { trigger_source: string; status: string }[]
  >`select trigger_source, status from refresh.run order by run_id desc limit 1`;
  t.same(audit, { trigger_source: 'cron', status: 'success' });

  const nothing = await run(cli, ['refresh'], { env: { ...env, SCORELINE_FORMAT: 'table' } });
  t.match(nothing.stdout, /nothing to refresh/, 'a second run finds nothing to do');

  const dag = await run(cli, ['dag', '--mermaid'], { env });
  t.match(dag.stdout, /n\d+\[\("lap"\)\] *\n *n\d+ --> n\d+/, 'dag --mermaid draws the source and its arrow');

  const bad = await run(cli, ['refresh', '--object', 'public.lap'], { env }).catch((e: { code: number; stderr: string }) => e);
  t.equal((bad as { code: number }).code, 1, 'an unregistered object fails');
  t.match((bad as { stderr: string }).stderr, /lap is not registered in refresh\.object\n {2}SQLSTATE SL060/);
});
