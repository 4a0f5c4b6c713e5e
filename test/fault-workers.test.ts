// Four worker processes on one database: 10,000 events completed in a burst are each
// scored by exactly one of them (the log lines of all four are counted per event), every
// prediction has one score, and the stats equal a recomputation. About a minute on two
// cores; FAULT_EVENTS sets another count (a multiple of 100).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { eventually } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 10_000);
const WORKERS = 4;

t.test(`${WORKERS} worker processes, ${EVENTS} events: each scored once`, async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  // set-based fixture: one competition, 40 teams, EVENTS games with a match_result market, two models on each
  await sql.unsafe(`
    insert into core.sport (code, name) values ('w4_sport', 'w4 sport');
    insert into core.competition (sport_id, code, name) select sport_id, 'w4', 'w4' from core.sport where code = 'w4_sport';
    insert into core.season (competition_id, label, is_current) select competition_id, '2026', true from core.competition where code = 'w4';
    insert into core.week (season_id, week_number, label) select season_id, 1, 'Week 1' from core.season s join core.competition c using (competition_id) where c.code = 'w4';
    insert into core.team (sport_id, code, name) select sport_id, 'W4_' || i, 'w4 team ' || i from core.sport, generate_series(1, 40) i where code = 'w4_sport';
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    select 'w4_' || i, 'game', c.competition_id, s.season_id, 1, now() + interval '1 day',
           (select team_id from core.team where code = 'W4_' || (1 + (2 * i) % 40)),
           (select team_id from core.team where code = 'W4_' || (2 + (2 * i) % 40))
      from generate_series(1, ${EVENTS}) i, core.competition c join core.season s using (competition_id) where c.code = 'w4';
    insert into market.market (event_id, market_type) select event_id, 'match_result' from core.event where external_id like 'w4\\_%';
    insert into market.selection (market_id, code, label)
    select m.market_id, x.code, x.code from market.market m cross join (values ('home'), ('draw'), ('away')) x (code);
    insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'w4_home', '1', 'test'), ('model', 'w4_away', '1', 'test');
    insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability)
    select f.forecaster_id, s.selection_id, 2.5, 1, 0.4
      from forecast.forecaster f join market.selection s on s.code = case f.name when 'w4_home' then 'home' else 'away' end
     where f.name like 'w4\\_%';
  `);
  const [preds] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`;
  t.equal(preds?.n, 2 * EVENTS, `${2 * EVENTS} predictions`);

  const scoredBy = new Map<number, number>();
  const perProcess: number[] = Array.from({ length: WORKERS }, () => 0);
  const children: ChildProcess[] = [];
  const problems: string[] = []; // the workers' warnings and errors, shown when a job failed
  t.teardown(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  for (let w = 0; w < WORKERS; w++) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'worker', '--no-http', '--no-migrate'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        HEARTBEAT_SECONDS: '1',
        STALE_WORKER_SECONDS: '10',
        REFRESH_DEBOUNCE_SECONDS: '2',
        POLL_INTERVAL_MS: '100',
        WORKER_CONCURRENCY: '4',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream! }).on('line', (line) => {
        if (/"level":"(warn|error)"/.test(line)) problems.push(`worker ${w}: ${line.slice(0, 600)}`);
        if (!line.includes('"event scored"')) return;
        try {
          const rec = JSON.parse(line) as { event_id?: number };
          if (rec.event_id === undefined) return;
          scoredBy.set(rec.event_id, (scoredBy.get(rec.event_id) ?? 0) + 1);
          perProcess[w] = perProcess[w]! + 1;
        } catch {
          /* not a JSON line */
        }
      });
    }
  }
  const up = await eventually(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from worker.heartbeat where stopped_at is null`;
    return row?.n === WORKERS;
  }, 180); // processes start slowly on a busy machine: the bound is generous, the wait ends when they beat
  t.ok(up, `${WORKERS} workers beating`);

  const burstStarted = Date.now();
  // the burst: 100 events per statement, alternating home and away wins
  for (let from = 0; from < EVENTS; from += 100) {
    await sql`
      update core.event set status = 'completed',
             home_score = case when right(external_id, 1)::int % 2 = 0 then 2 else 0 end,
             away_score = case when right(external_id, 1)::int % 2 = 0 then 0 else 1 end
       where external_id like 'w4\\_%' and split_part(external_id, '_', 2)::int between ${from + 1} and ${from + 100}`;
  }

  const done = await eventually(
    async () => {
      const [row] = await sql<{ scores: number; jobs: number }[]>`
      select (select count(*)::int from forecast.prediction_score) as scores,
             (select count(*)::int from worker.job where task in ('score_event', 'refresh')) as jobs`;
      return row?.scores === 2 * EVENTS && row.jobs === 0;
    },
    Math.max(120, EVENTS / 20),
  );
  t.ok(done, 'every prediction scored and the queue drained');

  t.comment(
    `events scored per process: ${perProcess.join(', ')}; ${Math.round((EVENTS * 1000) / (Date.now() - burstStarted))} events/s from the burst to a drained queue`,
  );
  t.ok(
    perProcess.every((n) => n > 0),
    'all four processes took part',
  );
  t.equal(scoredBy.size, EVENTS, `the logs say ${EVENTS} events scored`);
  const twice = [...scoredBy.entries()].filter(([, n]) => n > 1);
  t.same(twice, [], 'no event scored twice across the four processes');
  const [once] = await sql<{ scores: number; predictions: number }[]>`
    select count(*)::int as scores, count(distinct prediction_id)::int as predictions from forecast.prediction_score`;
  t.same(once, { scores: 2 * EVENTS, predictions: 2 * EVENTS }, 'one score per prediction');
  const failed = await sql<{ task: string; attempts: number; last_error: string | null }[]>`
    select task, attempts, last_error from worker.failed_job order by job_id`;
  t.same(failed, [], 'no job failed');
  if (failed.length) t.comment(`the workers' warnings and errors:\n${problems.slice(0, 50).join('\n')}`);

  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  await sql`call refresh.run_due('manual')`;
  const [check] = await sql<{ incremental: string; mismatch: string }[]>`
    select stats.dq_model_stats_incremental_vs_full()::text as incremental, stats.dq_model_stats_mismatch(1000)::text as mismatch`;
  t.same(check, { incremental: '0', mismatch: '0' }, 'the stats equal a recomputation');
  const stats = await sql<{ total_matches: number; win_count: number }[]>`
    select total_matches, win_count from stats.mv_model_stats_overall order by model_id`;
  t.same(
    stats.map((s) => [s.total_matches, s.win_count]),
    [
      [EVENTS, EVENTS / 2],
      [EVENTS, EVENTS / 2],
    ],
    'each model: every event once, half of them won',
  );
});
