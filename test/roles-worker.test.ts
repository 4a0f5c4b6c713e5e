// The worker and the loader running entirely as the worker role: every connection starts
// with `role=scoreline_worker` (as a login granted only that role would), and a burst of
// completions is scored and the statistics views refreshed; feeds load.
import path from 'node:path';
import t from 'tap';
import postgres from 'postgres';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { makeLogger } from '../src/log.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';
import { repoRoot } from '../src/embedded.ts';
import { eventually, games, league, models, predict } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

const quiet = makeLogger('error', {}, (l) => {
  if (process.env.ROLES_DEBUG) console.error(l);
});

/** The database URL with a startup option that switches every session to the role. */
function asRole(url: string, role: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c role=${role}`);
  return u.toString();
}

t.test('the worker process runs as scoreline_worker: scores a burst and refreshes the views', async (t) => {
  const db = await testDb(t, { max: 4 });
  const { sql } = db;
  const lg = await league(sql, { code: 'rwk', teams: 8 });
  const gs = await games(sql, lg, 10);
  const [home, away] = await models(sql, ['always_home', 'always_away']);
  for (const g of gs) {
    await predict(sql, home!, g.home, 2);
    await predict(sql, away!, g.away, 3);
  }
  const config = workerConfig({
    REFRESH_DEBOUNCE_SECONDS: '1',
    POLL_INTERVAL_MS: '100',
    HEARTBEAT_SECONDS: '1',
    STALE_WORKER_SECONDS: '5',
  });
  const workerUrl = asRole(db.url, 'scoreline_worker');
  const probe = postgres(workerUrl, { max: 1, onnotice: () => {} });
  const [who] = await probe<{ u: string }[]>`select current_user as u`;
  await probe.end();
  t.equal(who?.u, 'scoreline_worker', 'sessions on the URL act as the worker role');

  const worker = await startWorker({ url: workerUrl, config, log: quiet, http: false });
  t.teardown(() => worker.stop('test over'));
  for (const g of gs) {
    await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = ${g.event_id}`;
  }
  const done = await eventually(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from stats.mv_model_stats_overall`;
    const [jobs] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job`;
    return row?.n === 2 && jobs?.n === 0;
  }, 60);
  const failed = await sql<
    { task: string; last_error: string | null }[]
  >`select task, last_error from worker.job where last_error is not null`;
  t.same(failed, [], 'no job failed on a missing privilege');
  const runs = await sql<{ e: string }[]>`select error_sqlstate || ' ' || error_message as e from refresh.run where status = 'failed'`;
  t.same(runs, [], 'no refresh failed on a missing privilege');
  t.ok(done, 'every completion scored and the overall view refreshed');
  const stats = await sql<{ model_id: number; win_count: number; loss_count: number }[]>`
    select model_id::int, win_count, loss_count from stats.mv_model_stats_overall order by model_id`;
  t.same(
    stats.map((s) => [s.model_id, s.win_count, s.loss_count]),
    [
      [home, 10, 0],
      [away, 0, 10],
    ],
    'the statistics as the results say',
  );
});

t.test('feeds load as scoreline_worker', async (t) => {
  const db = await testDb(t);
  const loader = postgres(asRole(db.url, 'scoreline_worker'), { max: 2, onnotice: () => {} });
  t.teardown(() => loader.end());
  const races = await loadFile(loader, feeds.hkjc_results!, path.join(repoRoot, 'test', 'fixtures', 'hkjc_results_2024-01-01.csv'));
  t.same([races.status, races.rejected], ['completed', 0], 'race results merged');
  t.ok(races.inserted > 0, 'with rows');
  const nfl = await loadFile(loader, feeds.nfl_games!, path.join(repoRoot, 'data', 'nfl_games_2024_2025.csv'));
  t.same([nfl.status, nfl.rejected], ['completed', 0], 'NFL games merged');
  t.ok(nfl.inserted > 500, `with its games (${nfl.inserted})`);
});
