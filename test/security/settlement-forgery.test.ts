// Attack (issue 12, item 7): the worker sets the settings that settlement functions set
// (scoreline.settling_bets, scoreline.correcting_event, scoreline.settling_event) and
// writes the settled fields itself. The guards check role authority (the owner role,
// which the security definer settlement functions run as), the setting being a mode flag
// only: SL084, SL007, SL008 — and nothing changed.
import t from 'tap';
import { games, league } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { sourceId } from '../helpers/timeseries.ts';

const flags = ['scoreline.settling_bets', 'scoreline.correcting_event', 'scoreline.settling_event'];

t.test('the worker forging a bet settlement with the settlement settings is refused', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'sf', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const [st] = await sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('s', '1') returning strategy_id as id`;
  const betfair = await sourceId(sql, 'betfair');
  const [b] = await asRole(
    sql,
    'app',
    (tx) =>
      tx<{ bet_id: string }[]>`select (trade.match_bet((trade.place_bet(${st!.id}, ${g!.away}, ${betfair}, 'back', 3, 10)).bet_id)).bet_id`,
  );
  const snapshot = () => sql`select status, result, pnl, commission, settled_at from trade.bet`;
  const before = await snapshot();

  await rejectsWith(
    t,
    asRole(sql, 'worker', async (tx) => {
      for (const f of flags) await tx`select set_config(${f}, ${f === 'scoreline.settling_bets' ? 'on' : String(g!.event_id)}, true)`;
      await tx`update trade.bet set pnl = 99999, result = 'won' where bet_id = ${b!.bet_id}`;
    }),
    { code: '42501', message: /permission denied/ },
    'as the worker: no privilege on the settled columns',
  );
  // with the column privilege (a DBA's mistake), the guard still refuses
  await rejectsWith(
    t,
    sql.begin(async (tx) => {
      await tx`grant update on trade.bet to scoreline_worker`;
      await tx`set local role scoreline_worker`;
      for (const f of flags) await tx`select set_config(${f}, ${f === 'scoreline.settling_bets' ? 'on' : String(g!.event_id)}, true)`;
      await tx`update trade.bet set pnl = 99999, result = 'won', commission = 0, settled_at = now(), status = 'settled' where bet_id = ${b!.bet_id}`;
    }),
    { code: 'SL084', message: /computed by settlement/ },
    'with the privilege and the settings: SL084 from trade.tg_bet__guard',
  );
  t.same(await snapshot(), before, 'the bet is unchanged');
  t.same(
    (
      await sql<{ n: number }[]>`select count(*)::int as n from pg_proc where proname = 'settling' and pronamespace = 'trade'::regnamespace`
    )[0],
    { n: 0 },
    'trade.settling() (the forgeable check) is gone',
  );
});

t.test('the worker forging a selection result or a market settlement with the settings is refused', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'sg', teams: 4 });
  const [open, played] = await games(sql, lg, 2);
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 2, away_score = 0
             where event_id = ${played!.event_id}`;
  await sql`select forecast.score_event(${played!.event_id})`;
  const snapshot = () => sql`
    select s.selection_id, s.result, m.status, m.settled_at from market.selection s join market.market m using (market_id) order by 1`;
  const before = await snapshot();

  for (const [what, g] of [
    ['an open market', open!],
    ['a settled market', played!],
  ] as const) {
    await rejectsWith(
      t,
      asRole(sql, 'worker', async (tx) => {
        for (const f of flags) await tx`select set_config(${f}, ${String(g.event_id)}, true)`;
        await tx`update market.selection set result = 'won' where selection_id = ${g.away}`;
      }),
      { code: 'SL007', message: /result is written by settlement/ },
      `a selection result on ${what}`,
    );
    await rejectsWith(
      t,
      asRole(sql, 'worker', async (tx) => {
        for (const f of flags) await tx`select set_config(${f}, ${String(g.event_id)}, true)`;
        await tx`update market.market set status = 'void', settled_at = now() where market_id = ${g.market_id}`;
      }),
      { code: 'SL008', message: /settled by market\.settle_event/ },
      `voiding ${what}`,
    );
  }
  t.same(await snapshot(), before, 'selections and markets are unchanged');

  // the worker's real path still works: settlement through the security definer functions
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 0, away_score = 1
             where event_id = ${open!.event_id}`;
  const [settled] = await asRole(sql, 'worker', (tx) => tx<{ n: number }[]>`select market.settle_event(${open!.event_id}) as n`);
  t.equal(settled!.n, 3, 'market.settle_event as the worker settles the three selections');
});

t.test(
  'the worker cannot make itself the owner in core.db_role, rewrite the correction traces or the reference data settlement reads',
  async (t) => {
    const { sql } = await testDb(t);
    const lg = await league(sql, { code: 'sr', teams: 4 });
    const [g] = await games(sql, lg, 1);
    await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g!.event_id}`;
    await asRole(
      sql,
      'worker',
      (tx) => tx`select core.correct_event_result(${g!.event_id}, 'completed', 2::smallint, 0::smallint, 'feed fix')`,
    );
    const roles = () => sql`select kind, role_name from core.db_role order by kind`;
    const traces = () => sql`select correction_id, reason, new_home_score from core.event_correction order by 1`;
    const [rolesBefore, tracesBefore] = [await roles(), await traces()];
    for (const attack of [
      `update core.db_role set role_name = 'scoreline_x' where kind = 'worker'`,
      `update core.db_role set role_name = 'scoreline_worker' where kind = 'owner'`,
      `delete from core.db_role where kind = 'owner'`,
      `delete from core.event_correction`,
      `update core.event_correction set reason = 'nothing happened'`,
      `insert into core.event_correction (event_id, reason, old_status, new_status, result_version) values (${g!.event_id}, 'forged', 'completed', 'completed', 9)`,
      `insert into market.market_correction (market_id, reason, old_status, new_status, old_results, new_results) values (${g!.market_id}, 'forged', 'open', 'void', '{}', '{}')`,
      `update market.source set commission_rate = 0 where code = 'betfair'`,
      `update market.market_type set allows_multiple_picks = true where code = 'match_result'`,
    ]) {
      await rejectsWith(
        t,
        asRole(sql, 'worker', (tx) => tx.unsafe(attack)),
        { code: '42501' },
        `worker: ${attack.slice(0, 70)}`,
      );
    }
    t.same(await roles(), rolesBefore, 'the role map is unchanged');
    t.same(await traces(), tracesBefore, 'the trace is unchanged');
    const [auth] = await asRole(sql, 'worker', (tx) => tx<{ owner: boolean }[]>`select core.acts_as_owner() as owner`);
    t.equal(auth!.owner, false, 'the worker has no owner authority');
  },
);
