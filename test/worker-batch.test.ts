// Bursts scored as sets (sql/081_worker_batch.sql, src/tasks/score_event.ts): worker.score_events
// scores many events in one call with one statistics pass, idempotently, clearing what they owed;
// a score_event job claims the other ready ones and completes them with its own; claimed jobs
// given back run alone, and one replaced meanwhile is dropped. And the foreign-key race of a
// prediction deleted while its event is scored: the scorer holds the predictions it reads.
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { makeLogger } from '../src/log.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';
import { eventually, games, league, models, predict, type Game } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

async function burst(sql: Sql, n: number, code: string): Promise<{ gs: Game[]; ms: number[] }> {
  const lg = await league(sql, { code, teams: 20 });
  const gs = await games(sql, lg, n);
  const ms = await models(sql, ['always_home', 'always_away', 'always_draw']);
  for (const g of gs) {
    await predict(sql, ms[0]!, g.home, 2);
    await predict(sql, ms[1]!, g.away, 3);
    await predict(sql, ms[2]!, g.draw, 4);
  }
  return { gs, ms };
}

const ids = (gs: Game[]) => gs.map((g) => g.event_id);

async function checksClean(t: Test, sql: Sql): Promise<void> {
  const [c] = await sql<{ diff: number; owed: number }[]>`
    select stats.dq_model_stats_incremental_vs_full()::int as diff,
           (select count(*)::int from forecast.event_scoring where owed_since is not null) as owed`;
  t.equal(c!.diff, 0, 'incremental statistics equal a full recomputation');
  t.equal(c!.owed, 0, 'no event is owed a scoring');
}

t.test('worker.score_events scores a burst in one call, once for the statistics, idempotently', async (t) => {
  const { sql } = await testDb(t);
  const { gs } = await burst(sql, 30, 'bat');
  await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = any(${ids(gs)}::int[])`;
  const [owed] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.event_scoring where owed_since is not null`;
  t.equal(owed!.n, 30, 'the completions are owed');

  const [r] = await sql<
    { r: { status: string; events: number; predictions: number; gone: number[]; requeued: number[]; scored: { predictions: number }[] } }[]
  >`
    select worker.score_events(${[...ids(gs), 987654321]}::bigint[], 0) as r`;
  t.match(
    r!.r,
    { status: 'scored', events: 30, predictions: 90, gone: [987654321], requeued: [] },
    'one call scored the 30 events; the unknown one is gone',
  );
  t.same(
    r!.r.scored.map((e) => e.predictions),
    Array(30).fill(3),
    'each event listed with its 3 scored predictions',
  );
  const [s] = await sql<{ n: number; wins: number }[]>`
    select count(*)::int as n, count(*) filter (where outcome = 'win')::int as wins from forecast.prediction_score`;
  t.same([s!.n, s!.wins], [90, 30], 'every prediction scored, the home picks won');
  const [d] = await sql<{ n: number }[]>`select count(*)::int as n from stats.model_stats_competition_delta`;
  t.equal(d!.n, 3, 'one statistics pass for the batch: one delta row per model, not one per event');
  await checksClean(t, sql);
  const views = await sql<{ total_matches: number }[]>`select total_matches from stats.mv_model_stats_overall order by model_id`;
  t.same(
    views.map((v) => v.total_matches),
    [30, 30, 30],
    'the overall view is current when the batch commits',
  );

  const before = await sql`select * from forecast.prediction_score order by prediction_id`;
  const [again] = await sql<{ r: { events: number; predictions: number } }[]>`select worker.score_events(${ids(gs)}::bigint[], 0) as r`;
  t.match(again!.r, { events: 30, predictions: 90 }, 'a second call finds the same scores');
  t.same(await sql`select * from forecast.prediction_score order by prediction_id`, before, 'and rewrites none (scored_at included)');
  const [d2] = await sql<{ n: number }[]>`select count(*)::int as n from stats.model_stats_competition_delta`;
  t.equal(d2!.n, 3, 'and appends no statistics delta');
  await checksClean(t, sql);

  const [n] = await sql<
    { n: number }[]
  >`select count(*)::int as n from forecast.score_events(${ids(gs).slice(0, 5)}::bigint[]) where predictions = 3`;
  t.equal(n!.n, 5, 'forecast.score_events returns each event with its scored predictions');
});

t.test('a score_event job scores the other ready jobs with its own and completes them', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const { gs } = await burst(sql, 40, 'bjb');
  await sql`update core.event set status = 'completed', home_score = 0, away_score = 1 where event_id = any(${ids(gs)}::int[])`;
  const [q] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event'`;
  t.equal(q!.n, 40, '40 score_event jobs are queued');

  const lines: string[] = [];
  const config = workerConfig({
    POLL_INTERVAL_MS: '100',
    WORKER_CONCURRENCY: '1',
    SCORE_BATCH_SIZE: '50',
    REFRESH_TICK_CRON: '0 0 1 1 *',
    REFRESH_DEBOUNCE_SECONDS: '0',
  });
  const worker = await startWorker({ url: db.url, config, log: makeLogger('info', {}, (l) => lines.push(l)), http: false });
  t.teardown(() => worker.stop('test over'));
  const drained = await eventually(async () => {
    const [j] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event'`;
    return j!.n === 0;
  }, 60);
  t.ok(drained, 'the queue of score_event jobs is empty');
  const batches = lines.map((l) => JSON.parse(l) as { msg: string; events?: number }).filter((l) => l.msg === 'events scored as a batch');
  t.same(
    batches.map((b) => b.events),
    [40],
    'one job scored all 40 events as one batch',
  );
  const perEvent = new Set(
    lines
      .map((l) => JSON.parse(l) as { msg: string; event_id?: number })
      .filter((l) => l.msg === 'event scored')
      .map((l) => l.event_id),
  );
  t.equal(perEvent.size, 40, 'with a line per event scored');
  const [s] = await sql<{ n: number; wins: number }[]>`
    select count(*)::int as n, count(*) filter (where outcome = 'win')::int as wins from forecast.prediction_score`;
  t.same([s!.n, s!.wins], [120, 40], 'every prediction scored, the away picks won');
  const [f] = await sql<{ n: number }[]>`select count(*)::int as n from worker.failed_job`;
  t.equal(f!.n, 0, 'nothing failed');
  await checksClean(t, sql);
});

t.test('claimed score_event jobs: given back they run alone, one replaced meanwhile is dropped, completed they are gone', async (t) => {
  const { sql } = await testDb(t);
  const { gs } = await burst(sql, 3, 'bcl');
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 1 where event_id = any(${ids(gs)}::int[])`;
  const claim = () =>
    sql<
      { job_id: string; event_id: string }[]
    >`select job_id::text, event_id::text from worker.claim_score_jobs('w1', null, 10) order by event_id`;
  const state = () =>
    sql<{ event_id: string; locked_by: string | null; attempts: number; job_key: string | null }[]>`
      select payload->>'event_id' as event_id, locked_by, attempts, job_key from worker.job where task = 'score_event' order by job_id`;

  const first = await claim();
  t.same(
    first.map((c) => Number(c.event_id)),
    ids(gs),
    'the three ready jobs are claimed with their events',
  );
  t.same(
    (await state()).map((j) => [j.locked_by, j.attempts]),
    [
      ['w1', 1],
      ['w1', 1],
      ['w1', 1],
    ],
    'locked by the worker, the attempt counted',
  );
  t.equal((await claim()).length, 0, 'a claimed job is not claimed twice');
  const ok = await sql<{ job_id: string }[]>`select job_id::text from worker.claim_score_jobs('w2', ${first[0]!.job_id}::bigint, 10)`;
  t.equal(ok.length, 0, 'nor by another worker');

  // a correction replaces the first event's job while it is held
  await sql`select core.correct_event_result(${gs[0]!.event_id}, 'completed', 3::smallint, 1::smallint, 'late goal')`;
  const [released] = await sql<{ n: number }[]>`select worker.release_score_jobs(${first.map((c) => c.job_id)}::bigint[], 'w1') as n`;
  t.equal(released!.n, 3, 'all three given back');
  const after = await state();
  t.same(
    after.map((j) => [Number(j.event_id), j.locked_by, j.attempts, j.job_key]),
    [
      [gs[1]!.event_id, null, 0, `score_event:${gs[1]!.event_id}`],
      [gs[2]!.event_id, null, 0, `score_event:${gs[2]!.event_id}`],
      [gs[0]!.event_id, null, 0, `score_event:${gs[0]!.event_id}`],
    ],
    'the two unlocked with their attempt taken back; the replaced one dropped for its newer job',
  );

  const second = await claim();
  t.equal(second.length, 3, 'given back, they are ready again');
  const [scored] = await sql<{ r: { events: number } }[]>`select worker.score_events(${second.map((c) => c.event_id)}::bigint[], 0) as r`;
  t.equal(scored!.r.events, 3);
  const [done] = await sql<{ n: number }[]>`select worker.complete_score_jobs(${second.map((c) => c.job_id)}::bigint[], 'w1') as n`;
  t.equal(done!.n, 3, 'completed');
  t.equal((await state()).length, 0, 'and gone from the queue');
  const [wrong] = await sql<{ n: number }[]>`select worker.complete_score_jobs(${second.map((c) => c.job_id)}::bigint[], 'w1') as n`;
  t.equal(wrong!.n, 0, 'completing again changes nothing');
  await checksClean(t, sql);
});

t.test('a prediction deleted while its event is scored: the scoring waits and skips it, no foreign-key failure', async (t) => {
  const { sql } = await testDb(t, { max: 6 });
  const { gs, ms } = await burst(sql, 1, 'bfk');
  const g = gs[0]!;
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g.event_id}`;
  const [victim] = await sql<{ id: string }[]>`
    select prediction_id::text as id from forecast.prediction where forecaster_id = ${ms[1]!}`;

  const a = await sql.reserve();
  const b = await sql.reserve();
  t.teardown(() => {
    a.release();
    b.release();
  });
  const [bpid] = await b<{ pid: number }[]>`select pg_backend_pid() as pid`;
  await a`begin`;
  await a`delete from forecast.prediction where prediction_id = ${victim!.id}`;
  const scoring = b<{ n: number }[]>`select forecast.score_event(${g.event_id}) as n`.execute();
  const waiting = await eventually(
    async () => {
      const [w] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks where pid = ${bpid!.pid} and locktype = 'transactionid' and not granted`;
      return w!.n > 0;
    },
    30,
    25,
  );
  t.ok(waiting, 'the scoring waits for the delete in progress');
  await a`commit`;
  const [n] = await scoring;
  t.equal(n!.n, 2, 'then scores the two predictions left, without failing on the deleted one');
  const [gone] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score where prediction_id = ${victim!.id}`;
  t.equal(gone!.n, 0, 'the deleted prediction has no score');
});

t.test('jobs claimed by a worker that died are released by the recovery and scored by another', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const { gs } = await burst(sql, 10, 'bcr');
  await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = any(${ids(gs)}::int[])`;
  // what a worker does before it dies mid-batch: its claim commits, its scoring never does
  const claimed = await sql<{ job_id: string }[]>`select job_id::text from worker.claim_score_jobs('dead-worker', null, 10)`;
  t.equal(claimed.length, 10, 'the dead worker had claimed the 10 jobs');
  const [held] = await sql<
    { n: number }[]
  >`select count(*)::int as n from worker.job where task = 'score_event' and locked_by = 'dead-worker'`;
  t.equal(held!.n, 10, 'locked by it, as graphile-worker locks a job it fetched');
  const [released] = await sql<{ n: number }[]>`select worker.recover_stale_workers(interval '0 seconds', 'test') as n`;
  t.equal(released!.n, 10, 'the recovery releases all 10 (no heartbeat names the dead worker)');

  const config = workerConfig({ POLL_INTERVAL_MS: '100', REFRESH_TICK_CRON: '0 0 1 1 *', REFRESH_DEBOUNCE_SECONDS: '0' });
  const worker = await startWorker({ url: db.url, config, log: makeLogger('error', {}, () => {}), http: false });
  t.teardown(() => worker.stop('test over'));
  const scored = await eventually(async () => {
    const [q] = await sql<{ jobs: number; scores: number }[]>`
      select (select count(*)::int from worker.job where task = 'score_event') as jobs,
             (select count(*)::int from forecast.prediction_score) as scores`;
    return q!.jobs === 0 && q!.scores === 30;
  }, 60);
  t.ok(scored, 'another worker scored every event and no score_event job is left');
  t.same(await sql`select job_id from worker.failed_job`, [], 'nothing failed for good');
  await checksClean(t, sql);
});
