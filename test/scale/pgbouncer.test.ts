// Pooled connections through a real PgBouncer (Debian's /usr/sbin/pgbouncer) started by the
// test in front of the test database. Transaction mode, for applications: picks
// (forecast.place_pick) and bets (trade.place_bet) for many users over few server
// connections, each acting for its user by `set local scoreline.user_id` inside its own
// transaction, so nothing leaks from one client to the next; postgres.js needs
// `?prepare=false` there. Session mode, for the worker: a real graphile-worker runs through
// it, LISTENs, and takes a job the moment it is added (its poll is a minute away).
import t from 'tap';
import { connect } from '../../src/db.ts';
import { makeLogger } from '../../src/log.ts';
import { workerConfig } from '../../src/worker/config.ts';
import { startWorker } from '../../src/worker/runner.ts';
import { eventually, games, league, models, predict, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { scaleToolsMissing, startPgbouncer } from '../helpers/scale.ts';
import { sourceId } from '../helpers/timeseries.ts';

// without PostgreSQL 15's binaries or PgBouncer the tests are skipped, saying what is missing
const skip = scaleToolsMissing() ?? false;

const quiet = makeLogger('error', {}, () => {});

t.test('transaction mode: picks, bets and reads for many users over two server connections', { skip }, async (t) => {
  const db = await testDb(t);
  const { sql } = db;
  const lg = await league(sql, { code: 'pgb', teams: 8 });
  const gs = await games(sql, lg, 4);
  const users: number[] = [];
  for (let i = 0; i < 12; i++) users.push(await user(sql, `pgb_user_${i}`));
  const [st] = await sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('pgb', '1') returning strategy_id::int as id`;
  const betfair = await sourceId(sql, 'betfair');

  const bouncer = await startPgbouncer(t, db.url, { app: { database: db.name, mode: 'transaction', size: 2 } });
  // what an application's DATABASE_URL through PgBouncer looks like: prepared statements off
  const app = connect(`${bouncer.url('app')}?prepare=false`, { max: 8, applicationName: 'pgbouncer test' });
  t.teardown(() => app.end({ timeout: 5 }));

  const backends = async () => {
    const [r] = await sql<{ n: number }[]>`
      select count(distinct pid)::int as n from pg_stat_activity where datname = current_database() and application_name is distinct from 'scoreline'`;
    return r!.n;
  };

  // 12 users at once, 8 client connections, 2 server connections: every transaction sets its user locally
  const picks = await Promise.all(
    users.map((u, i) =>
      asRole(
        app,
        'app',
        (tx) => tx<{ id: number; forecaster: number }[]>`
          select prediction_id::int as id, forecaster_id::int as forecaster
            from forecast.place_pick(${gs[i % gs.length]!.home}, p_odds => 2.1)`,
        u,
      ),
    ),
  );
  t.same(
    picks.map((p) => p[0]!.forecaster),
    users,
    'each pick is its own user’s: scoreline.user_id set locally in the transaction, whichever server connection ran it',
  );
  const servers = await backends();
  t.ok(servers >= 1 && servers <= 2, `PgBouncer ran them on at most two server connections (${servers})`);
  const [owned] = await sql<{ n: number }[]>`
    select count(*)::int as n from forecast.prediction p join forecast.forecaster f using (forecaster_id)
     where f.kind = 'user' and f.handle like 'pgb_user_%'`;
  t.equal(owned!.n, 12, 'the twelve picks are in the database');

  // reads: a user sees their own picks only; the statistics views are readable
  const mine = await asRole(app, 'app', (tx) => tx<{ n: number }[]>`select count(*)::int as n from forecast.pick`, users[3]);
  t.equal(mine[0]!.n, 1, 'forecast.pick through the pool shows the acting user’s pick only');
  const reader = await asRole(app, 'reader', (tx) => tx<{ n: number }[]>`select count(*)::int as n from stats.mv_model_stats_overall`);
  t.equal(reader[0]!.n, 0, 'the reader role reads the statistics views through the pool');

  // nothing of a transaction's settings survives it on the shared server connection
  const after = await Promise.all(
    Array.from({ length: 8 }, () =>
      asRole(app, 'app', (tx) => tx<{ v: string | null }[]>`select nullif(current_setting('scoreline.user_id', true), '') as v`),
    ),
  );
  t.same(
    after.map((r) => r[0]!.v),
    Array(8).fill(null),
    'a later transaction on the same server connections acts for no user',
  );
  await rejectsWith(
    t,
    asRole(app, 'app', (tx) => tx`select forecast.place_pick(${gs[0]!.away})`),
    { code: 'SL035' },
    'a pick without scoreline.user_id in its own transaction fails with SL035',
  );

  // bets through the pool, several at once
  const bets = await Promise.all(
    gs.map((g) =>
      asRole(
        app,
        'app',
        (tx) => tx<{ id: number; status: string }[]>`
          select bet_id::int as id, status from trade.place_bet(${st!.id}, ${g.away}, ${betfair}, 'back', 3, 5)`,
      ),
    ),
  );
  t.same(
    bets.map((b) => b[0]!.status),
    Array(gs.length).fill('pending'),
    'trade.place_bet works through the pool',
  );
  const [placed] = await sql<{ n: number }[]>`select count(*)::int as n from trade.bet where strategy_id = ${st!.id}`;
  t.equal(placed!.n, gs.length, 'the bets are in the database');
});

t.test('session mode: graphile-worker runs through PgBouncer, LISTENs, and takes a job at once', { skip }, async (t) => {
  const db = await testDb(t, { max: 4 });
  const { sql } = db;
  const lg = await league(sql, { code: 'pgw', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const [m] = await models(sql, ['pgb_home']);
  await predict(sql, m!, g!.home, 2);

  const bouncer = await startPgbouncer(t, db.url, { worker: { database: db.name, mode: 'session', size: 20 } });
  // the poll is a minute away: a job taken within seconds came by LISTEN/NOTIFY
  const config = workerConfig({
    POLL_INTERVAL_MS: '60000',
    HEARTBEAT_SECONDS: '1',
    STALE_WORKER_SECONDS: '30',
    REFRESH_TICK_CRON: '0 0 1 1 *',
    RECONCILE_SCORES_CRON: '0 0 1 1 *',
    WORKER_CONCURRENCY: '2',
  });
  const worker = await startWorker({ url: bouncer.url('worker'), config, log: quiet, http: false });
  t.teardown(() => worker.stop('test over'));

  const listening = await eventually(async () => {
    const [r] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
    return r!.n > 0;
  }, 30);
  t.ok(listening, 'a server connection of the worker, through PgBouncer, is LISTENing');
  const [hb] = await sql<{ n: number }[]>`select count(*)::int as n from worker.heartbeat where stopped_at is null`;
  t.equal(hb!.n, 1, 'the worker’s heartbeat is written through the pool');

  await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = ${g!.event_id}`;
  const scored = await eventually(async () => {
    const [r] = await sql<{ n: number }[]>`
      select count(*)::int as n from forecast.prediction_score s join forecast.prediction p using (prediction_id)
       where p.selection_id = ${g!.home}`;
    return r!.n === 1;
  }, 30);
  t.ok(scored, 'the score_event job ran through the session pool, long before the next poll');
  const [stats] = await sql<{ n: number }[]>`select count(*)::int as n from stats.mv_model_stats_overall where model_id = ${m!}`;
  t.equal(stats!.n, 1, 'the statistics view has the model');
});
