// Attacks on the edges of each role's rights (docs/security.md), as the role that would try
// them: enqueueing jobs, rewinding sequences, TRUNCATE (which skips the row guards), COPY to
// and from the server, a view to step around row-level security, switching the guards off,
// reading another session's statements, the ingest staging tables, and the worker's and
// owner's functions. Each is refused and nothing changes.
import t from 'tap';
import { games, league, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';

const denied = { code: '42501' };

t.test('the app, the reader and the worker stay inside their rights', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'rb', teams: 4 });
  const [g, h] = await games(sql, lg, 2);
  const [ann, bob] = [await user(sql, 'ann'), await user(sql, 'bob')];
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.home})`, ann);
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${h!.away})`, bob);
  const state = () => sql`
    select (select count(*)::int from forecast.prediction) as picks,
           (select count(*)::int from graphile_worker._private_jobs) as jobs,
           (select count(*)::int from core.event) as events,
           (select last_value from trade.bet_bet_id_seq) as bet_seq`;
  const before = await state();

  const attacks: [string, 'app' | 'reader' | 'worker', string, RegExp][] = [
    [
      'enqueue a job directly',
      'app',
      `select graphile_worker.add_job('score_event', '{"event_id": 1}')`,
      /permission denied for schema graphile_worker/,
    ],
    [
      'enqueue through the worker’s helper',
      'app',
      `select worker.add_job('score_event', '{}'::json)`,
      /permission denied for schema worker/,
    ],
    [
      'rewind the bet sequence (ids collide with partitions’ rows)',
      'app',
      `select setval('trade.bet_bet_id_seq', 1)`,
      /permission denied for sequence/,
    ],
    [
      'rewind an identity sequence',
      'worker',
      `select setval(pg_get_serial_sequence('core.event', 'event_id'), 1)`,
      /permission denied for sequence/,
    ],
    ['truncate the bets (no row guard fires)', 'worker', 'truncate trade.bet', /permission denied for table bet/],
    ['truncate the predictions', 'worker', 'truncate forecast.prediction', /permission denied for table prediction/],
    ['truncate the events and all that hangs on them', 'worker', 'truncate core.event cascade', /permission denied for table/],
    ['copy a table to a server file', 'app', `copy core.event to '/tmp/scoreline_leak'`, /COPY to a file/],
    ['copy from a program', 'worker', `copy ingest.batch from program 'id'`, /COPY to or from an external program/],
    ['switch the pick guard off', 'app', 'alter table forecast.prediction disable trigger _100_guard', /must be owner of table prediction/],
    ['switch the bet guard off', 'worker', 'alter table trade.bet disable trigger _100_guard', /must be owner of table bet/],
    [
      'switch row-level security off',
      'app',
      'alter table forecast.prediction disable row level security',
      /must be owner of table prediction/,
    ],
    [
      'a view in a scoreline schema (owned views bypass row-level security)',
      'app',
      'create view forecast.all_picks as select * from forecast.prediction',
      /permission denied for schema forecast/,
    ],
    ['read the ingest staging tables', 'app', 'select * from ingest.batch', /permission denied for schema ingest/],
    ['read the ingest staging tables', 'reader', 'select * from ingest.batch', /permission denied for schema ingest/],
    [
      'correct a result',
      'app',
      `select core.correct_event_result(${g!.event_id}, 'completed', 9::smallint, 0::smallint, 'x')`,
      /permission denied for function/,
    ],
    ['score an event', 'app', `select forecast.score_event(${g!.event_id})`, /permission denied for function/],
    ['settle bets', 'app', `select trade.settle_bets(${g!.event_id})`, /permission denied for function/],
    ['drop a partition', 'app', `select maint.drop_partition('trade.bet', 'trade.bet_default')`, /permission denied for schema maint/],
    ['run the data-quality checks', 'reader', 'select refresh.run_checks(null, null)', /permission denied for function/],
  ];
  for (const [what, role, stmt, message] of attacks) {
    await rejectsWith(
      t,
      asRole(sql, role, (tx) => tx.unsafe(stmt), role === 'app' ? ann : undefined),
      { ...denied, message },
      `${role}: ${what}`,
    );
  }
  t.same(await state(), before, 'nothing changed: picks, jobs, events, the bet sequence');

  // a temporary view is the app's own: row-level security applies to it as to the app
  const seen = await asRole(
    sql,
    'app',
    async (tx) => {
      await tx`create temporary view every_pick as select forecaster_id from forecast.prediction`;
      return tx<{ forecaster_id: number }[]>`select forecaster_id::int from every_pick`;
    },
    ann,
  );
  t.same(
    seen.map((r) => r.forecaster_id),
    [ann],
    'through its own (temporary) view the app still sees only its user’s picks',
  );

  // the statements of other sessions (with the user ids they carry) are not shown
  const [other] = await asRole(
    sql,
    'reader',
    (tx) => tx<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
       where pid <> pg_backend_pid() and query is not null and query not in ('', '<insufficient privilege>')`,
  );
  t.equal(other!.n, 0, 'the reader sees no other session’s statement in pg_stat_activity');
});
