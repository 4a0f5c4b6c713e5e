// Faults in the worker: SIGKILL the worker process at random points of a burst of
// completions, five times, starting a new one after each kill. Afterwards no job is lost,
// every prediction is scored exactly once, and the statistics equal a recomputation.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { eventually, games, league, models, predict } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

export function workerProcess(url: string, extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'worker', '--no-http', '--no-migrate'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: url,
      HEARTBEAT_SECONDS: '1',
      STALE_WORKER_SECONDS: '3',
      REFRESH_DEBOUNCE_SECONDS: '0',
      POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
      ...extra,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  return child;
}

export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** A small deterministic generator (mulberry32), so that a failing run can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('five SIGKILLs during a burst of 40 completions: nothing lost, nothing scored twice, stats equal a recomputation', async (t) => {
  const seed = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);
  t.comment(`seed ${seed} (FAULT_SEED=${seed} replays the kill points)`);
  const random = rng(seed);
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const lg = await league(sql, { code: 'kill', teams: 20 });
  const gs = await games(sql, lg, 40);
  const [home, away, draw] = await models(sql, ['always_home', 'always_away', 'always_draw']);
  for (const g of gs) {
    await predict(sql, home!, g.home, 2);
    await predict(sql, away!, g.away, 3);
    await predict(sql, draw!, g.draw, 4);
  }

  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const c of children) await kill(c);
  });
  let current = workerProcess(db.url);
  children.push(current);

  const kills: { after_event: number; how: string; ms: number; running_jobs: number }[] = [];
  const upAndBeating = (child: ChildProcess) =>
    eventually(async () => {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from worker.heartbeat where pid = ${child.pid ?? -1}`;
      return (row?.n ?? 0) > 0;
    }, 180);
  // Kills 1, 3 and 5 land inside a score job (held at a lock on market.market so that it is
  // certainly running); 2 and 4 at a random moment after the new worker is up.
  let blocker: Awaited<ReturnType<typeof sql.reserve>> | undefined;
  for (const [i, g] of gs.entries()) {
    const group = Math.floor(i / 8);
    if (i % 8 === 0) {
      t.ok(await upAndBeating(current), `worker ${group + 1} is up`);
      if (group % 2 === 0) {
        blocker = await sql.reserve();
        await blocker`begin`;
        await blocker`lock table market.market in exclusive mode`;
      }
    }
    const [h, a] = i % 3 === 0 ? [1, 1] : i % 3 === 1 ? [2, 0] : [0, 2];
    await sql`update core.event set status = 'completed', home_score = ${h}, away_score = ${a} where event_id = ${g.event_id}`;
    await sleep(Math.floor(random() * 60));
    if (i % 8 === 7) {
      let how: string;
      const started = Date.now();
      if (blocker) {
        how = 'inside a score job';
        const inJob = await eventually(async () => {
          const [row] = await sql<
            { n: number }[]
          >`select count(*)::int as n from worker.job where task = 'score_event' and state = 'running'`;
          return (row?.n ?? 0) > 0;
        }, 120);
        t.ok(inJob, `worker ${group + 1} is inside a score job`);
        await sleep(Math.floor(random() * 300));
      } else {
        how = 'at a random moment';
        await sleep(Math.floor(random() * 1500));
      }
      const [running] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where state = 'running'`;
      await kill(current);
      kills.push({ after_event: i + 1, how, ms: Date.now() - started, running_jobs: running!.n });
      if (blocker) {
        await blocker`rollback`;
        blocker.release();
        blocker = undefined;
      }
      current = workerProcess(db.url);
      children.push(current);
    }
  }
  t.equal(kills.length, 5, 'five workers were killed');
  t.comment(`kills: ${JSON.stringify(kills)}`);

  const settled = await eventually(async () => {
    const [row] = await sql<{ scores: number; jobs: number }[]>`
      select (select count(*)::int from forecast.prediction_score) as scores,
             (select count(*)::int from worker.job where task in ('score_event', 'refresh')) as jobs`;
    return row?.scores === 120 && row.jobs === 0;
  }, 90);
  if (!settled) {
    const left = await sql`
      select task, state, attempts, max_attempts, run_at, last_error from worker.job order by job_id`;
    t.comment(`jobs left: ${JSON.stringify(left)}`);
  }
  t.ok(settled, 'the last worker finished every job: 120 scores, no score or refresh job left');

  // A cron tick runs once (max=1): one killed mid-run is failed for good, with the reason;
  // the next tick does its work. No score or refresh job may fail.
  const failed = await sql<{ task: string; last_error: string | null }[]>`select task, last_error from worker.failed_job`;
  t.same(
    failed.filter((f) => !['refresh_tick', 'maintain'].includes(f.task) || !f.last_error?.startsWith('interrupted: worker ')),
    [],
    'no job failed for good, other than a once-only cron tick interrupted by a kill (it says so)',
  );
  const [once] = await sql<{ scores: number; predictions: number; events: number }[]>`
    select count(*)::int as scores, count(distinct prediction_id)::int as predictions, count(distinct event_id)::int as events
      from forecast.prediction_score`;
  t.same(once, { scores: 120, predictions: 120, events: 40 }, 'every prediction of every event scored exactly once');
  const [unscored] = await sql<{ n: number }[]>`
    select count(*)::int as n from forecast.prediction p
     where not exists (select from forecast.prediction_score s where s.prediction_id = p.prediction_id)`;
  t.equal(unscored?.n, 0, 'no prediction left unscored');

  await kill(current, 'SIGTERM');
  await sql`call refresh.run_due('manual')`;
  const [check] = await sql<{ incremental: string; mismatch: string }[]>`
    select stats.dq_model_stats_incremental_vs_full()::text as incremental, stats.dq_model_stats_mismatch(1000)::text as mismatch`;
  t.equal(check?.incremental, '0', 'the incrementally maintained stats equal a full recomputation');
  t.equal(check?.mismatch, '0', 'the stats views equal a recomputation');
  const stats = await sql<{ model_id: number; total_matches: number; win_count: number }[]>`
    select model_id::int, total_matches, win_count from stats.mv_model_stats_overall order by model_id`;
  t.same(
    stats.map((s) => [s.model_id, s.total_matches, s.win_count]),
    [
      [home, 40, 13],
      [away, 40, 13],
      [draw, 40, 14],
    ],
    'the overall table counts every game once: 14 draws, 13 home and 13 away wins',
  );
  const [recoveries] = await sql<{ n: number; jobs: number }[]>`
    select count(*)::int as n, coalesce(sum(jobs_unlocked), 0)::int as jobs from worker.recovery`;
  t.ok(
    recoveries!.jobs >= 3,
    `the jobs of the workers killed inside a job were unlocked (${recoveries!.jobs} jobs in ${recoveries!.n} recoveries)`,
  );
});
