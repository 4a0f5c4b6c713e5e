// End to end with a real graphile-worker: completing events scores them and
// refreshes the stats views with no manual call; a burst inside the debounce window
// causes one refresh; completing twice scores once; a correction re-scores.
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { makeLogger } from '../src/log.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';
import { eventually, games, league, models, predict } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

const quiet = makeLogger('error', {}, () => {});

t.test('completions are scored and the views follow, with one refresh per burst', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const lg = await league(sql, { code: 'wk', teams: 20 });
  const gs = await games(sql, lg, 100);
  const [home, away, draw] = await models(sql, ['always_home', 'always_away', 'always_draw']);
  for (const g of gs) {
    await predict(sql, home!, g.home, 2);
    await predict(sql, away!, g.away, 3);
    await predict(sql, draw!, g.draw, 4);
  }

  // The minute's refresh_tick is moved out of the way (1 January): a tick landing inside the
  // window would refresh the stale objects itself and leave the debounced refresh nothing to do.
  // The debounce window is long (10 minutes) so that the whole burst is inside it however busy
  // the machine is; the test then runs the one debounced refresh now instead of waiting for it.
  const config = workerConfig({
    REFRESH_DEBOUNCE_SECONDS: '600',
    POLL_INTERVAL_MS: '100',
    HEARTBEAT_SECONDS: '1',
    STALE_WORKER_SECONDS: '5',
    REFRESH_TICK_CRON: '0 0 1 1 *',
  });
  const worker = await startWorker({ url: db.url, config, log: quiet, http: false });
  t.teardown(() => worker.stop('test over'));

  // what the debounce window's end does: run the pending debounced refresh now
  const refreshNow = () => sql`
    select graphile_worker.reschedule_jobs(array_agg(job_id), run_at => now())
      from worker.job where task = 'refresh' and state = 'scheduled'`;

  // 100 completions, each in its own transaction, inside the window: home wins the even games, away the odd.
  for (const [i, g] of gs.entries()) {
    const [h, a] = i % 2 === 0 ? [2, 1] : [0, 3];
    await sql`update core.event set status = 'completed', home_score = ${h}, away_score = ${a} where event_id = ${g.event_id}`;
  }
  const scored = await eventually(async () => {
    const [row] = await sql<{ scores: number; jobs: number }[]>`
      select (select count(*)::int from forecast.prediction_score) as scores,
             (select count(*)::int from worker.job where task = 'score_event') as jobs`;
    return row?.scores === 300 && row.jobs === 0;
  }, 60);
  t.ok(scored, 'the 100 completions are scored');
  const pending = await sql<{ state: string }[]>`select state from worker.job where task = 'refresh'`;
  t.same(pending, [{ state: 'scheduled' }], 'the 100 scorings left one debounced refresh, waiting for the window to end');
  await refreshNow();

  const refreshed = await eventually(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from stats.mv_model_stats_overall`;
    const [jobs] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job`;
    return row?.n === 3 && jobs?.n === 0;
  }, 60);
  t.ok(refreshed, 'the overall view has the three models and the queue is empty');

  const stats = await sql<{ model_id: number; total_matches: number; win_count: number; loss_count: number }[]>`
    select model_id::int, total_matches, win_count, loss_count from stats.mv_model_stats_overall order by model_id`;
  t.same(
    stats.map((s) => [s.model_id, s.total_matches, s.win_count, s.loss_count]),
    [
      [home, 100, 50, 50],
      [away, 100, 50, 50],
      [draw, 100, 0, 100],
    ],
    'each model: 100 matches, wins and losses as the results say',
  );

  const runs = await sql<{ object: string; n: number }[]>`
    select object::text as object, count(*)::int as n from refresh.run
     where trigger_source = 'event' and status in ('success', 'warning') group by 1 order by 1`;
  t.ok(
    ['stats.model_calibration', 'stats.user_leaderboard'].every((o) => runs.some((r) => r.object === o)),
    'the debounced refresh refreshed the materialized statistics (the model stats are current without one)',
    { runs },
  );
  t.ok(
    runs.every((r) => r.n === 1),
    'exactly one event-triggered refresh of each object for the burst of 100 completions',
    { runs },
  );

  // Completing a completed event again enqueues nothing and scores nothing.
  const first = gs[0]!;
  const before = await sql<
    { scored_at: Date }[]
  >`select scored_at from forecast.prediction_score where event_id = ${first.event_id} order by prediction_id`;
  await sql`update core.event set status = 'completed' where event_id = ${first.event_id}`;
  const [queued] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event'`;
  t.equal(queued?.n, 0, 'a second completion queues no scoring job');
  const after = await sql<
    { scored_at: Date }[]
  >`select scored_at from forecast.prediction_score where event_id = ${first.event_id} order by prediction_id`;
  t.same(after, before, 'and its scores are untouched');

  // A correction re-scores and the views follow: game 0 becomes an away win.
  await sql`select core.correct_event_result(${first.event_id}, 'completed', 0::smallint, 1::smallint, 'wrong score keyed in')`;
  const followed = await eventually(async () => {
    await refreshNow();
    const rows = await sql<
      { model_id: number; win_count: number }[]
    >`select model_id::int, win_count from stats.mv_model_stats_overall order by model_id`;
    const [jobs] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job`;
    return jobs?.n === 0 && rows[0]?.win_count === 49 && rows[1]?.win_count === 51;
  }, 60);
  t.ok(followed, 'after the correction: always_home has 49 wins, always_away 51');
  const [scores] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score where event_id = ${first.event_id}`;
  t.equal(scores?.n, 3, 'still one score per prediction: the correction replaced, not added');
});

t.test('the nightly sync loads the configured sources, then runs the data-quality report', async (t) => {
  const db = await testDb(t, { max: 4 });
  const { sql } = db;
  const file = path.join(repoRoot, 'data', 'hkjc_results_2024-01-01.csv');
  await sql`insert into ingest.source (feed, location, load_order) values ('hkjc_results', ${file}, 1),
                                                                       ('nfl_games', '/nonexistent/games.csv', 2)`;
  const config = workerConfig({ POLL_INTERVAL_MS: '100', HEARTBEAT_SECONDS: '1', STALE_WORKER_SECONDS: '5' });
  const lines: string[] = [];
  const worker = await startWorker({ url: db.url, config, log: makeLogger('info', {}, (l) => lines.push(l)), http: false });
  t.teardown(() => worker.stop('test over'));
  await sql`select worker.add_job('nightly_sync', '{}'::json)`;
  const done = await eventually(async () => {
    const [jobs] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'nightly_sync'`;
    return jobs?.n === 0;
  }, 60);
  t.ok(done, 'the nightly_sync job finished');
  const [races] = await sql<{ n: number }[]>`select count(*)::int as n from core.event where kind = 'race'`;
  t.equal(races?.n, 10, 'the racing source was loaded: 10 races');
  const sources = await sql<{ feed: string; status: string | null }[]>`
    select s.feed, b.status from ingest.source s left join ingest.batch b on b.batch_id = s.last_batch_id order by s.load_order`;
  t.equal(sources[0]?.status, 'completed', 'its batch completed');
  t.not(sources[1]?.status, 'completed', 'the missing file did not, and did not stop the others');
  const [checks] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.check_result`;
  t.ok((checks?.n ?? 0) >= 4, `the data-quality report ran (${checks?.n} check results)`);
  const finished = lines
    .map((l) => JSON.parse(l) as { msg: string; sources?: number; failed_sources?: number })
    .find((l) => l.msg.startsWith('nightly sync finished'));
  t.equal(finished?.sources, 2, 'the log line counts the sources');
  t.equal(finished?.failed_sources, 1, 'and the one that failed');
});
