// The statistics views against an independent recomputation (test/stats-recompute.ts)
// on generated data: before and after a correction, a re-score and a concurrent
// refresh; and the data-quality checks.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { migrationsDir } from '../src/migrate.ts';
import { testDb } from './helpers/db.ts';
import { asRole } from './helpers/roles.ts';
import { compareAll, generate, generateUserPicks, refreshAll, scoreAll } from './helpers/stats-recompute.ts';

t.test('every view equals an independent recomputation, before and after a correction', async (t) => {
  const { sql } = await testDb(t);
  await generate(sql);
  const scored = await scoreAll(sql);
  t.ok(scored > 1000, `${scored} predictions scored`);

  const [empty] = await sql<{ populated: boolean }[]>`
    select relispopulated as populated from pg_class where oid = 'stats.user_leaderboard'::regclass`;
  t.equal(empty!.populated, false, 'the materialized views are created WITH NO DATA');
  const [dq0] = await sql<{ n: string }[]>`select stats.dq_model_stats_mismatch() as n`;
  t.equal(Number(dq0!.n), 0, 'the model stats views are current before any refresh');

  await refreshAll(sql, false);
  await compareAll(t, sql);
  const [kinds] = await sql<{ current: number; past: number; abandoned: number; home: number; away: number }[]>`
    select (select count(*) from stats.mv_model_stats_overall)::int as current,
           (select count(*) from stats.mv_model_stats_competition c join core.season s using (season_id) where not s.is_current)::int as past,
           (select sum(draw_count) from stats.mv_model_stats_overall)::int as abandoned,
           (select count(*) from stats.mv_model_stats_club where is_home)::int as home,
           (select count(*) from stats.mv_model_stats_club where not is_home)::int as away`;
  t.equal(kinds!.current, 12, 'the overall view has the 12 models');
  t.ok(kinds!.past > 0 && kinds!.abandoned > 0 && kinds!.home > 0 && kinds!.away > 0, 'the data covers past seasons, void and both sides');
  const [dq] = await sql<{ n: string }[]>`select stats.dq_model_stats_mismatch(1000) as n`;
  t.equal(Number(dq!.n), 0, 'dq_model_stats_mismatch: 0 after a refresh');

  // correct one completed match of the current season, re-score, and the views follow once refreshed
  const [ev] = await sql<{ event_id: string; home_score: number; away_score: number }[]>`
    select e.event_id, e.home_score, e.away_score from core.event e join core.season s using (season_id)
     where s.is_current and e.status = 'completed' and e.external_id like 'gen_%' order by e.event_id limit 1`;
  const before = await sql`select * from stats.mv_model_stats_overall order by model_id`;
  await sql`select core.correct_event_result(${ev!.event_id}, 'completed', ${ev!.away_score + 1}::smallint, ${ev!.home_score}::smallint, 'test')`;
  await sql`select forecast.score_event(${ev!.event_id})`;
  const [current] = await sql<{ n: string; full: string }[]>`
    select stats.dq_model_stats_mismatch(1000) as n, stats.dq_model_stats_incremental_vs_full() as full`;
  t.same(
    [Number(current!.n), Number(current!.full)],
    [0, 0],
    'the model stats follow the re-score with no refresh: equal to a recomputation',
  );
  const after = await sql`select * from stats.mv_model_stats_overall order by model_id`;
  t.not(JSON.stringify(after), JSON.stringify(before), 'the correction changed the overall view');
  await refreshAll(sql, true);
  await compareAll(t, sql);

  const [dup] = await sql<{ d: string; o: string }[]>`select forecast.dq_duplicate_picks() as d, forecast.dq_orphaned_rows() as o`;
  t.same([Number(dup!.d), Number(dup!.o)], [0, 0], 'no duplicate picks, no orphaned rows');
});

t.test('the data-quality checks see what they look for', async (t) => {
  const { sql } = await testDb(t);
  await generate(sql);
  await scoreAll(sql);
  // a score whose market was reopened behind score_event's back is orphaned
  const [m] = await sql<{ market_id: string }[]>`
    select p.market_id from forecast.prediction_score ps join forecast.prediction p using (prediction_id) limit 1`;
  await sql`update market.market set status = 'open', settled_at = null where market_id = ${m!.market_id}`;
  const [o] = await sql<{ n: string }[]>`select forecast.dq_orphaned_rows() as n`;
  t.ok(Number(o!.n) > 0, `dq_orphaned_rows counts scores of an unsettled market (${o!.n})`);
  await sql`update market.market set status = 'settled', settled_at = now() where market_id = ${m!.market_id}`;
  const [healthy] = await sql<{ n: string }[]>`select forecast.dq_orphaned_rows() as n`;
  t.equal(Number(healthy!.n), 0, 'healthy again once the market is settled');
  // the copies of forecaster and event in a score must agree with the prediction
  await sql`update forecast.prediction_score set forecaster_id = forecaster_id + 1
             where prediction_id = (select min(prediction_id) from forecast.prediction_score)`;
  const [copy] = await sql<{ n: string }[]>`select forecast.dq_orphaned_rows() as n`;
  t.equal(Number(copy!.n), 1, 'dq_orphaned_rows counts a score whose forecaster disagrees with its prediction');
  // duplicate picks cannot be written; with the constraint index dropped they are counted
  await sql`drop index forecast.prediction_one_per_market`;
  const [p] = await sql<{ forecaster_id: string; market_id: string; selection_id: string }[]>`
    select p.forecaster_id, p.market_id, s.selection_id from forecast.prediction p
      join market.selection s on s.market_id = p.market_id and s.selection_id <> p.selection_id
      join market.market mk on mk.market_id = p.market_id and mk.status = 'open'
      join core.event e on e.event_id = mk.event_id and e.status = 'scheduled'
     limit 1`;
  await sql`insert into forecast.prediction (forecaster_id, selection_id, predicted_at) values (${p!.forecaster_id}, ${p!.selection_id}, '2024-01-01')`;
  const [d] = await sql<{ n: string }[]>`select forecast.dq_duplicate_picks() as n`;
  t.ok(Number(d!.n) >= 1, 'dq_duplicate_picks counts two picks on a single-pick market');
});

t.test('stats.user_leaderboard rounds roi like the other views; its re-creation keeps what the registry holds', async (t) => {
  const { sql } = await testDb(t);
  await generate(sql);
  t.ok((await generateUserPicks(sql)) > 0, 'users made picks');
  await scoreAll(sql);
  await sql`call refresh.run_due()`;
  const [r] = await sql<{ roi: string; roi_exact: string }[]>`
    select roi::text, roi_exact::text from stats.user_leaderboard where roi_exact is not null order by season_id, forecaster_id limit 1`;
  t.match(r?.roi, /^-?\d+\.\d{4}$/, `roi is rounded to 4 decimals (${r?.roi})`);
  t.ok(r!.roi_exact.length > r!.roi.length, `roi_exact keeps full precision (${r?.roi_exact})`);

  // what a DBA set for it, then the migration's up section run again
  await sql`update refresh.object set priority = 7, sla = '2 hours', frequency = '1 day' where object = 'stats.user_leaderboard'::regclass`;
  await sql`insert into refresh."check" (name, object, query, expected) values ('user_board_probe', 'stats.user_leaderboard', 'select 0', 0)`;
  await sql`insert into refresh.dependency (dependent, parent, origin, note)
            values ('stats.user_leaderboard', 'core.season', 'declared', 'test')`;
  const [run] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run where object = 'stats.user_leaderboard'::regclass`;
  t.ok(run!.n > 0, 'it has refresh runs');
  const registry = () => sql`
    select o.kind, o.enabled, o.method, o.priority, o.frequency::text, o.sla::text, o.last_status, o.registered_by,
           (select array_agg(c.name order by c.name) from refresh."check" c where c.object = o.object) as checks,
           (select array_agg(d.parent::text || ':' || d.origin order by d.parent::text) from refresh.dependency d where d.dependent = o.object) as parents,
           (select count(*)::int from refresh.run r where r.object = o.object) as runs,
           (select count(*)::int from stats.user_leaderboard) as board_rows
      from refresh.object o where o.object = 'stats.user_leaderboard'::regclass`;
  const before = await registry();
  const file = await fs.readFile(path.join(migrationsDir, '20261204020100_user_leaderboard_roi_rounded.sql'), 'utf8');
  const up = file.slice(file.indexOf('-- migrate:up'), file.indexOf('-- migrate:down'));
  await sql.begin((tx) => tx.unsafe(up));
  t.same(await registry(), before, 'its settings, status, checks, declared dependencies, runs and rows are kept');
  t.not(before.length, 0, 'it was registered');

  const [cat] = await sql<{ unique_key: boolean; comment: string | null; populated: boolean }[]>`
    select (select i.indisunique from pg_index i where i.indexrelid = 'stats.user_leaderboard_season_forecaster_key'::regclass) as unique_key,
           col_description('stats.user_leaderboard'::regclass,
                           (select a.attnum from pg_attribute a where a.attrelid = 'stats.user_leaderboard'::regclass and a.attname = 'roi_exact')) as comment,
           (select relispopulated from pg_class where oid = 'stats.user_leaderboard'::regclass) as populated`;
  t.same([cat?.unique_key, cat?.populated], [true, true], 'its unique index (for REFRESH CONCURRENTLY) is back, and it is filled');
  t.match(cat?.comment, /full precision/, 'roi_exact is commented');
  await sql`refresh materialized view concurrently stats.user_leaderboard`;
  const [read] = await asRole(sql, 'reader', (tx) => tx<{ n: number }[]>`select count(roi_exact)::int as n from stats.user_leaderboard`);
  t.ok(read!.n > 0, 'the reader reads it, roi_exact too');
});
