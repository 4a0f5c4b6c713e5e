// Nothing lost (issue 18, items 1 and 2): the scores-owed record (forecast.event_scoring)
// with a real graphile-worker. A storm of corrections ends with every event scored and its
// bets settled on its last result; bets are settled by the worker after completion and after
// a correction; deleting picks on a settled match re-scores the others; the reconciler
// queues an event whose job was lost; a scoring that a change overtook queues the next one;
// only the scorers write the record.
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { makeLogger } from '../src/log.ts';
import { workerConfig } from '../src/worker/config.ts';
import { WorkerMetrics } from '../src/worker/metrics.ts';
import { startWorker, type WorkerHandle } from '../src/worker/runner.ts';
import { event, eventually, games, league, matchResult, models, pick, predict, user } from './helpers/fixtures.ts';
import { rejectsWith, testDb, type TestDb } from './helpers/db.ts';
import { asRole } from './helpers/roles.ts';
import { compareAll, refreshAll } from './helpers/stats-recompute.ts';
import { sourceId } from './helpers/timeseries.ts';

interface Logged {
  msg: string;
  requeued?: boolean;
  queued?: number;
}

/** A worker polling every 50 ms; the minute's refresh tick and the reconciler are moved out of the way unless asked for. */
async function worker(t: Test, db: TestDb, opts: { reconcile?: boolean } = {}): Promise<{ handle: WorkerHandle; logged: Logged[] }> {
  const logged: Logged[] = [];
  const config = workerConfig({
    POLL_INTERVAL_MS: '50',
    HEARTBEAT_SECONDS: '1',
    STALE_WORKER_SECONDS: '5',
    REFRESH_DEBOUNCE_SECONDS: '1',
    REFRESH_TICK_CRON: '0 0 1 1 *',
    RECONCILE_SCORES_CRON: opts.reconcile ? '* * * * *' : '0 0 1 1 *',
  });
  const log = makeLogger('debug', {}, (line) => logged.push(JSON.parse(line) as Logged));
  const handle = await startWorker({ url: db.url, config, log, http: false });
  t.teardown(() => handle.stop('test over'));
  return { handle, logged };
}

async function behind(sql: Sql, grace = '0 seconds'): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select forecast.dq_scores_behind_results(${grace}::interval)::int as n`;
  return r!.n;
}

async function scoringJobs(sql: Sql): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event'`;
  return r!.n;
}

/** Drained: no event behind (with no grace at all) and no scoring job left. */
async function drained(sql: Sql, seconds = 120): Promise<boolean> {
  return eventually(async () => (await behind(sql)) === 0 && (await scoringJobs(sql)) === 0, seconds, 50);
}

async function strategy(sql: Sql): Promise<number> {
  const [st] = await sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('owed', '1') returning strategy_id as id`;
  return st!.id;
}

/** A matched bet, as the owner records one (the exchange matched it before the start). */
async function bet(sql: Sql, strategyId: number, source: number, selection: number, side: 'back' | 'lay', odds: number, stake: number) {
  const [b] = await sql<{ id: string }[]>`
    insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status)
    values (${strategyId}, ${selection}, ${source}, ${side}, ${odds}, ${stake}, 'matched') returning bet_id as id`;
  return b!.id;
}

t.test('a storm of 400 corrections over 10 events, three times: every event ends scored and settled on its last result', async (t) => {
  const db = await testDb(t, { max: 12 });
  const { sql } = db;
  const lg = await league(sql, { code: 'storm', teams: 20 });
  const gs = await games(sql, lg, 10);
  const [home, away, draw] = await models(sql, ['storm_home', 'storm_away', 'storm_draw']);
  const st = await strategy(sql);
  const betfair = await sourceId(sql, 'betfair');
  for (const g of gs) {
    await predict(sql, home!, g.home, 2);
    await predict(sql, away!, g.away, 3);
    await predict(sql, draw!, g.draw, 4);
    await bet(sql, st, betfair, g.home, 'back', 2, 10);
    await bet(sql, st, betfair, g.draw, 'lay', 3, 5);
  }
  for (const g of gs) await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g.event_id}`;

  const { logged } = await worker(t, db);
  t.ok(await drained(sql), 'the completions are scored and settled');

  for (let round = 1; round <= 3; round++) {
    const before = logged.length;
    const started = Date.now();
    // 400 corrections, each its own transaction: 40 back to back on each event, the 10 events at once, each changing the score
    await Promise.all(
      gs.map(async (g) => {
        for (let j = 0; j < 40; j++) {
          const n = j + round;
          await sql`select core.correct_event_result(${g.event_id}, 'completed', ${n % 4}::smallint, ${(n + 1) % 4}::smallint, 'storm')`;
        }
      }),
    );
    const correctedMs = Date.now() - started;
    t.ok(await drained(sql), `round ${round}: 0 events behind their result and no scoring job left`);
    const drainMs = Date.now() - started;

    const lag = await sql<{ event_id: number; result_version: number; scores: number; bets: number; stale_scores: number }[]>`
      select e.event_id::int, e.result_version, es.scored_result_version as scores, es.settled_result_version as bets,
             (select count(*)::int from forecast.prediction_score ps where ps.event_id = e.event_id and ps.result_version <> e.result_version) as stale_scores
        from core.event e join forecast.event_scoring es on es.event_id = e.event_id
       where e.event_id = any (${gs.map((g) => g.event_id)}::bigint[])
         and (es.scored_result_version <> e.result_version or es.settled_result_version <> e.result_version
              or exists (select from forecast.prediction_score ps where ps.event_id = e.event_id and ps.result_version <> e.result_version))`;
    t.same(lag, [], `round ${round}: every event's scores and bets reflect its last result version`);
    const [versions] = await sql<{ min: number; max: number }[]>`
      select min(result_version)::int as min, max(result_version)::int as max from core.event where event_id = any (${gs.map((g) => g.event_id)}::bigint[])`;
    t.same(versions, { min: 40 * round, max: 40 * round }, `round ${round}: each event is at result version ${40 * round}`);

    // the last result of event i: n = 39 + round, score (n % 4) - ((n + 1) % 4)
    const n = 39 + round;
    const want = n % 4 > (n + 1) % 4 ? 'home' : n % 4 === (n + 1) % 4 ? 'draw' : 'away';
    const sel = await sql<{ code: string; result: string }[]>`
      select distinct s.code, s.result from market.selection s where s.market_id = any (${gs.map((g) => g.market_id)}::bigint[]) order by 1`;
    t.same(
      sel.filter((s) => s.result === 'won').map((s) => s.code),
      [want],
      `round ${round}: the selections say ${want} won, as the last correction does`,
    );
    const [dq] = await sql<{ scores: number; bets: number }[]>`
      select forecast.dq_scores_disagree_with_selections()::int as scores, trade.dq_bets_disagree_with_selections()::int as bets`;
    t.same(dq, { scores: 0, bets: 0 }, `round ${round}: scores and bets agree with the selections`);
    const [check] = await sql<{ value: number; passed: boolean }[]>`
      select value::int, passed from refresh.run_check('forecast_scores_behind_results')`;
    t.same(check, { value: 0, passed: true }, `round ${round}: the check "scores behind results" is at 0`);

    const jobs = logged.slice(before).filter((l) => l.msg === 'event scored');
    t.comment(
      `storm round ${round}: 400 corrections in ${correctedMs} ms, drained after ${drainMs} ms; ` +
        `${jobs.length} score_event jobs ran, ${jobs.filter((j) => j.requeued).length} re-queued their event`,
    );
  }
});

t.test('bets are settled by the worker after the completion and after every correction', async (t) => {
  const db = await testDb(t, { max: 4 });
  const { sql } = db;
  const lg = await league(sql, { code: 'owedbets' });
  const [g] = await games(sql, lg, 1);
  const st = await strategy(sql);
  const betfair = await sourceId(sql, 'betfair');
  const [src] = await sql<{ rate: string }[]>`select commission_rate::text as rate from market.source where source_id = ${betfair}`;
  const rate = Number(src!.rate);
  const back = await bet(sql, st, betfair, g!.home, 'back', 2.5, 10);
  const lay = await bet(sql, st, betfair, g!.draw, 'lay', 4, 5);
  const [pending] = await sql<{ id: string }[]>`
    insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake) values (${st}, ${g!.away}, ${betfair}, 'back', 3, 2) returning bet_id as id`;
  await worker(t, db);

  const bets = () =>
    sql<{ bet_id: string; status: string; result: string | null; pnl: string | null }[]>`
      select bet_id::text, status, result, pnl::text from trade.bet order by bet_id`;
  const cents = (x: number) => (Math.round(x * 100) / 100).toFixed(2);

  await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = ${g!.event_id}`;
  t.ok(await drained(sql, 60), 'the completion is scored and settled by the worker');
  t.same(
    await bets(),
    [
      { bet_id: back, status: 'settled', result: 'won', pnl: cents(15 - Math.round(15 * rate * 100) / 100) },
      { bet_id: lay, status: 'settled', result: 'lost', pnl: cents(5 - Math.round(5 * rate * 100) / 100) },
      { bet_id: pending!.id, status: 'cancelled', result: null, pnl: null },
    ],
    'after the completion: the back bet on home won, the lay of the draw won its stake, the unmatched bet lapsed',
  );

  await sql`select core.correct_event_result(${g!.event_id}, 'completed', 1::smallint, 1::smallint, 'it was a draw')`;
  t.ok(await drained(sql, 60), 'the correction is re-scored and re-settled by the worker');
  t.same(
    (await bets()).slice(0, 2),
    [
      { bet_id: back, status: 'settled', result: 'lost', pnl: '-10.00' },
      { bet_id: lay, status: 'settled', result: 'won', pnl: '-15.00' },
    ],
    'after the correction to 1-1: the back bet on home lost its stake, the lay of the draw paid 5 x (4 - 1)',
  );
  const [rec] = await sql<{ settled: number; scored: number; owed_since: Date | null }[]>`
    select settled_result_version as settled, scored_result_version as scored, owed_since from forecast.event_scoring where event_id = ${g!.event_id}`;
  t.same(rec, { settled: 1, scored: 1, owed_since: null }, 'the record: scores and bets reflect result version 1, nothing owed');

  await sql`select core.correct_event_result(${g!.event_id}, 'abandoned', null, null, 'abandoned at half time')`;
  t.ok(await drained(sql, 60), 'the abandonment is re-settled by the worker');
  t.same(
    (await bets()).slice(0, 2).map((b) => [b.status, b.result, b.pnl]),
    [
      ['void', 'void', '0.00'],
      ['void', 'void', '0.00'],
    ],
    'an abandoned match voids the bets: stakes returned',
  );
});

t.test('deleting 4 of 10 picks on a settled match re-scores the others; the leaderboard equals a recomputation', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const lg = await league(sql, { code: 'owed_del' });
  const ev = await event(sql, lg);
  const { marketId, sel } = await matchResult(sql, ev);
  const codes = ['home', 'home', 'home', 'home', 'draw', 'draw', 'away', 'away', 'away', 'away'];
  const picks: number[] = [];
  for (const [i, code] of codes.entries()) picks.push(await pick(sql, await user(sql, `owed_u${i}`), sel[code]!));
  await sql`update core.event set status = 'completed', home_score = 2, away_score = 0 where event_id = ${ev}`;
  await sql`select forecast.score_event(${ev})`;
  await sql`select trade.settle_bets(${ev})`;
  const share = async (id: number) => {
    const [s] = await sql<{ rarity_share: string; points: string }[]>`
      select rarity_share::float8::text as rarity_share, points::text from forecast.prediction_score where prediction_id = ${id}`;
    return s;
  };
  t.same(await share(picks[3]!), { rarity_share: '0.4', points: '4' }, 'before: 4 of 10 picked home, which won: share 0.4, 4 points');
  t.equal(await behind(sql), 0, 'scored by hand: nothing owed');

  // three of the home picks and one away pick withdrawn (the owner's correction)
  await sql`delete from forecast.prediction where prediction_id = any (${[picks[0]!, picks[1]!, picks[2]!, picks[9]!]}::bigint[])`;
  const [rec] = await sql<{ owed: boolean }[]>`select owed_since is not null as owed from forecast.event_scoring where event_id = ${ev}`;
  t.same(rec, { owed: true }, 'the delete recorded the event as owed, in its own transaction');
  const [job] = await sql<{ key: string }[]>`select job_key as key from worker.job where task = 'score_event'`;
  t.same(job, { key: `score_event:${ev}` }, 'and queued its scoring job');
  const [others] = await sql<
    { n: number }[]
  >`select count(*)::int as n from market.market where market_id = ${marketId} and status = 'settled'`;
  t.equal(others!.n, 1, 'the market stays settled');

  await worker(t, db);
  t.ok(await drained(sql, 60), 'the worker re-scored the market');
  t.same(await share(picks[3]!), { rarity_share: '0.16666666666666666', points: '5' }, 'after: 1 of 6 picked home: share 1/6, 5 points');
  t.same(await share(picks[4]!), { rarity_share: '0.3333333333333333', points: '0' }, 'the draw pickers: 2 of 6, a loss, 0 points');

  // the debounced refresh follows; then the leaderboard must equal a recomputation from the rows
  t.ok(
    await eventually(async () => {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job`;
      return row!.n === 0;
    }, 60),
    'the queue is empty',
  );
  await refreshAll(sql, false);
  await compareAll(t, sql);
  const [top] = await sql<{ points: string }[]>`
    select points::text as points from stats.user_leaderboard l join forecast.forecaster f on f.forecaster_id = l.forecaster_id
     where f.handle = 'owed_u3'`;
  t.same(top, { points: '5' }, 'the remaining home picker has 5 points on the leaderboard');
});

t.test('the reconciler queues an event whose job was lost: every refresh pass and the minute cron task', async (t) => {
  const db = await testDb(t, { max: 4 });
  const { sql } = db;
  const lg = await league(sql, { code: 'owedlost' });
  const [g] = await games(sql, lg, 1);
  const [m] = await models(sql, ['lost_home']);
  await predict(sql, m!, g!.home, 2);
  await sql`update core.event set status = 'completed', home_score = 3, away_score = 0 where event_id = ${g!.event_id}`;

  const lose = async () => {
    const gone = await sql`delete from graphile_worker._private_jobs where key = ${`score_event:${g!.event_id}`}`;
    return gone.count;
  };
  t.equal(await lose(), 1, 'the scoring job is lost (deleted from the queue)');
  t.equal(await behind(sql), 1, 'the record still says the event is owed');
  await sql`update forecast.event_scoring set owed_since = now() - interval '6 minutes' where event_id = ${g!.event_id}`;
  const [failing] = await sql<{ value: number; passed: boolean }[]>`
    select value::int, passed from refresh.run_check('forecast_scores_behind_results')`;
  t.same(failing, { value: 1, passed: false }, 'owed for more than 5 minutes: the error-severity check fails');
  const [sev] = await sql<{ severity: string }[]>`select severity from refresh."check" where name = 'forecast_scores_behind_results'`;
  t.equal(sev!.severity, 'error', 'the check is error-severity');
  const page = await new WorkerMetrics().render(sql, true);
  t.match(page, /^scoreline_scores_owed_events 1$/m, '/metrics: one event behind');
  t.match(page, /^scoreline_scores_owed_oldest_seconds 3[6-9]\d(\.\d+)?$/m, '/metrics: behind for six minutes');

  await sql`select refresh.begin_pass()`;
  t.equal(await scoringJobs(sql), 1, 'a refresh pass queued the scoring again');
  const [again] = await sql<{ n: number }[]>`select worker.enqueue_owed() as n`;
  t.equal(again!.n, 0, 'a pending job is not queued twice');

  t.equal(await lose(), 1, 'lost again');
  const { logged } = await worker(t, db, { reconcile: true });
  t.ok(await drained(sql, 150), 'the minute cron task (reconcile_scores) queued it and the worker scored it');
  t.ok(
    logged.some((l) => l.msg === 'scores owed reconciled' && l.queued === 1),
    'the reconciler says it queued one event',
  );
  const [score] = await sql<{ outcome: string }[]>`select outcome from forecast.prediction_score where event_id = ${g!.event_id}`;
  t.same(score, { outcome: 'win' }, 'the prediction is scored');
  const [check] = await sql<{ value: number; passed: boolean }[]>`
    select value::int, passed from refresh.run_check('forecast_scores_behind_results')`;
  t.same(check, { value: 0, passed: true }, 'the check is back at 0');
  t.match(await new WorkerMetrics().render(sql, true), /^scoreline_scores_owed_events 0$/m, '/metrics: none behind');
});

t.test('forecast.record_scoring knows two parts, scores and bets', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`select forecast.record_scoring(1, 'odds', 1, 0)`, { code: 'SL041', message: /scores or bets, not odds/ });
});

t.test('the record is written only through the scorers: the worker cannot clear it, the app neither reads it nor reconciles', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'owedsec' });
  const [g] = await games(sql, lg, 1);
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 1 where event_id = ${g!.event_id}`;
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) => tx`update forecast.event_scoring set owed_since = null, scored_version = owed_version, settled_version = owed_version`,
    ),
    { code: '42501', message: /permission denied/ },
    'the worker cannot mark an event scored without scoring it',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select forecast.owe_scoring(array[${g!.event_id}]::bigint[])`),
    { code: '42501' },
    "nor call the record's writer",
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select * from forecast.event_scoring`),
    { code: '42501' },
    'the app cannot read the record',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select worker.enqueue_owed()`),
    { code: '42501' },
    'nor run the reconciler',
  );
  const [q] = await asRole(sql, 'worker', (tx) => tx<{ n: number }[]>`select worker.enqueue_owed() as n`);
  t.equal(q!.n, 0, "the worker runs the reconciler (the completion's job is pending: nothing to queue)");
  const [owed] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.event_scoring where owed_since is not null`;
  t.equal(owed!.n, 1, 'the event is still owed');
});

t.test('a change that commits while the scoring runs, and queues no job, is queued again by the scoring itself', async (t) => {
  const { sql } = await testDb(t, { max: 4 });
  const lg = await league(sql, { code: 'owedheal' });
  const [g] = await games(sql, lg, 1);
  const [m] = await models(sql, ['heal_home']);
  await predict(sql, m!, g!.home, 2);
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g!.event_id}`;
  await sql`delete from graphile_worker._private_jobs`;

  // A change owes the event a scoring and holds its record, as a completion, correction or
  // delete does in its transaction; its job is lost (it queues none here).
  const change = await sql.reserve();
  t.teardown(() => change.release());
  await change`begin`;
  await change`select forecast.owe_scoring(array[${g!.event_id}]::bigint[])`;

  // The scoring starts meanwhile: it reads the version before the change, scores, and waits on the record.
  const scoring = sql<{ result: { requeued: boolean; predictions: number } }[]>`select worker.score_event(${g!.event_id}, 0) as result`;
  const scoringDone = scoring.then((rows) => rows[0]!.result);
  const waiting = await eventually(async () => {
    const [w] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and query like 'select worker.score_event%'`;
    return w!.n === 1;
  }, 30);
  t.ok(waiting, 'the scoring waits for the change on the record');
  await change`commit`;

  const result = await scoringDone;
  t.same(
    result,
    { ...result, requeued: true, predictions: 1 },
    'the scoring saw the newer version once the change committed, and re-queued the event',
  );
  const [job] = await sql<{ key: string }[]>`select job_key as key from worker.job where task = 'score_event'`;
  t.same(job, { key: `score_event:${g!.event_id}` }, 'its job is in the queue');
  t.equal(await behind(sql), 1, 'the event is still behind until that job runs');
  await sql`select worker.score_event(${g!.event_id}, 0)`;
  t.equal(await behind(sql), 0, 'then nothing is owed');
});
