// Attack (issue 12, item 5): a bet placed after the result is known, back-dated and
// already matched, then paid by trade.settle_bets. The app places bets through
// trade.place_bet (pending, placed_at = now()) and marks them matched through
// trade.match_bet; both, and the bet guard for every role but the owner, refuse a market
// that is not open, a selection with a result and a settled event (SL093), and a status
// or placed_at chosen by the caller (SL094). The owner keeps recording historical bets.
import t, { type Test } from 'tap';
import type { Sql } from '../../src/db.ts';
import { games, league, type Game } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { sourceId } from '../helpers/timeseries.ts';

async function setup(t: Test) {
  const db = await testDb(t);
  const lg = await league(db.sql, { code: 'bt', teams: 8 });
  const gs = await games(db.sql, lg, 4);
  const [st] = await db.sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('s', '1') returning strategy_id as id`;
  return { ...db, gs, strategy: st!.id, betfair: await sourceId(db.sql, 'betfair') };
}

/** The game played and settled (home won 1-0), as the worker's scoring does it. */
async function settle(sql: Sql, g: Game): Promise<void> {
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g.event_id}`;
  await sql`select forecast.score_event(${g.event_id})`;
}

async function betCount(sql: Sql): Promise<number> {
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from trade.bet`;
  return n!.n;
}

t.test('a matched, back-dated bet on a selection already won is refused; settlement pays nothing', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  const g = gs[0]!;
  await settle(sql, g);
  const [won] = await sql<{ result: string }[]>`select result from market.selection where selection_id = ${g.home}`;
  t.equal(won!.result, 'won', 'the home selection has won');

  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) => tx`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at)
                 values (${strategy}, ${g.home}, ${betfair}, 'back', 50, 1000, 'matched', '2024-01-01')`,
    ),
    { code: '42501', message: /permission denied/ },
    'the app cannot choose status or placed_at (no column privilege)',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) => tx`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake)
                 values (${strategy}, ${g.home}, ${betfair}, 'back', 50, 1000)`,
    ),
    { code: 'SL093', message: /is settled/ },
    'a direct insert on the settled market is refused by the bet guard',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.place_bet(${strategy}, ${g.home}, ${betfair}, 'back', 50, 1000)`),
    { code: 'SL093', message: /is settled/ },
    'trade.place_bet on the settled market is refused',
  );
  // a role granted the whole insert (a psql user, say) meets the same guard
  await rejectsWith(
    t,
    sql.begin(async (tx) => {
      await tx`grant insert on trade.bet to scoreline_app`;
      await tx`set local role scoreline_app`;
      await tx`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at)
               values (${strategy}, ${g.home}, ${betfair}, 'back', 50, 1000, 'matched', '2024-01-01')`;
    }),
    { code: 'SL094', message: /placed by the server/ },
    'with the privilege, a matched back-dated bet is refused by the guard',
  );
  t.equal(await betCount(sql), 0, 'no bet was written');

  const [paid] = await asRole(sql, 'worker', (tx) => tx<{ n: number }[]>`select trade.settle_bets(${g.event_id}) as n`);
  t.equal(paid!.n, 0, 'trade.settle_bets (as the worker) has nothing to pay');
  const [pnl] = await sql<{ pnl: string | null }[]>`select sum(pnl)::text as pnl from trade.bet`;
  t.equal(pnl!.pnl, null, 'no P&L');
});

t.test('placed_at is the server time: neither 1999 nor 30 days ahead', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  for (const at of ['1999-01-01', new Date(Date.now() + 30 * 86400_000).toISOString()]) {
    await rejectsWith(
      t,
      sql.begin(async (tx) => {
        await tx`grant insert on trade.bet to scoreline_app`;
        await tx`set local role scoreline_app`;
        await tx`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, placed_at)
                 values (${strategy}, ${gs[0]!.home}, ${betfair}, 'back', 2, 10, ${at})`;
      }),
      { code: 'SL094', message: /placed by the server/ },
      `placed_at ${at.slice(0, 10)} is refused`,
    );
  }
  const [b] = await asRole(
    sql,
    'app',
    (tx) => tx<{ status: string; at_now: boolean; pnl: string | null }[]>`
      select (b).status, (b).placed_at = now() as at_now, (b).pnl from (select trade.place_bet(${strategy}, ${gs[0]!.home}, ${betfair}, 'back', 2, 10) as b) x`,
  );
  t.same(b, { status: 'pending', at_now: true, pnl: null }, 'trade.place_bet: pending, placed now, no P&L');
  t.equal(await betCount(sql), 1, 'one bet');
});

t.test('a bet becomes matched while its market is open, never after the result', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  const [open, late, worker] = gs;
  const place = (g: Game) =>
    asRole(
      sql,
      'app',
      (tx) => tx<{ bet_id: string }[]>`select (trade.place_bet(${strategy}, ${g.home}, ${betfair}, 'back', 2, 10)).bet_id`,
    );
  const [b1] = await place(open!);
  const [m] = await asRole(
    sql,
    'app',
    (tx) => tx<{ status: string; matched_now: boolean; external_ref: string }[]>`
      select (b).status, (b).matched_at = now() as matched_now, (b).external_ref
        from (select trade.match_bet(${b1!.bet_id}, 'bf-123') as b) x`,
  );
  t.same(m, { status: 'matched', matched_now: true, external_ref: 'bf-123' }, 'the app marks its bet matched (the exchange said so)');
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.match_bet(${b1!.bet_id})`),
    { code: 'SL096', message: /is matched/ },
    'matching it twice is refused',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.match_bet(${-1})`),
    { code: 'SL095' },
    'an unknown bet',
  );

  const [b2] = await place(late!);
  const [b3] = await place(worker!);
  await settle(sql, late!);
  await settle(sql, worker!);
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.match_bet(${b2!.bet_id})`),
    { code: 'SL093', message: /is settled/ },
    'the app matching a bet once the market is settled is refused',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`update trade.bet set status = 'matched' where bet_id = ${b3!.bet_id}`),
    { code: 'SL093', message: /is settled/ },
    'the worker marking a bet matched once the result is known is refused',
  );
  const rows = await sql<{ status: string }[]>`select status from trade.bet where bet_id in (${b2!.bet_id}, ${b3!.bet_id})`;
  t.same(
    rows.map((r) => r.status),
    ['pending', 'pending'],
    'both are still pending',
  );
  await asRole(sql, 'worker', (tx) => tx`select trade.settle_bets(${late!.event_id}), trade.settle_bets(${worker!.event_id})`);
  const lapsed = await sql<{ status: string; pnl: string | null }[]>`
    select status, pnl::text from trade.bet where bet_id in (${b2!.bet_id}, ${b3!.bet_id})`;
  t.same(
    lapsed.map((r) => [r.status, r.pnl]),
    [
      ['cancelled', null],
      ['cancelled', null],
    ],
    'settlement lapses them: no P&L from a bet matched after the result',
  );
});

t.test('a matched bet cannot be voided once the result is known (a loss turned into 0)', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  const g = gs[0]!;
  const [b] = await asRole(
    sql,
    'app',
    (tx) =>
      tx<
        { bet_id: string }[]
      >`select (trade.match_bet((trade.place_bet(${strategy}, ${g.away}, ${betfair}, 'back', 3, 10)).bet_id)).bet_id`,
  );
  await settle(sql, g);
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`update trade.bet set status = 'void' where bet_id = ${b!.bet_id}`),
    { code: 'SL093' },
    'the worker voiding the losing bet is refused',
  );
  await asRole(sql, 'worker', (tx) => tx`select trade.settle_bets(${g.event_id})`);
  const [after] = await sql<{ status: string; pnl: string }[]>`select status, pnl::text from trade.bet where bet_id = ${b!.bet_id}`;
  t.same(after, { status: 'settled', pnl: '-10.00' }, 'it settles as the loss it is');
});

t.test('trade.place_bet refuses a selection with a result, a completed event, an inactive strategy', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  const [withResult, completed, ok] = gs;
  await sql`update market.selection set result = 'lost' where selection_id = ${withResult!.home}`;
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.place_bet(${strategy}, ${withResult!.home}, ${betfair}, 'back', 2, 10)`),
    { code: 'SL093', message: /has a result/ },
    'a selection with a result',
  );
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 0, away_score = 0
             where event_id = ${completed!.event_id}`;
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.place_bet(${strategy}, ${completed!.home}, ${betfair}, 'back', 2, 10)`),
    { code: 'SL093', message: /is completed/ },
    'an event completed but not yet settled',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.place_bet(${strategy}, ${ok!.home}, ${betfair}, 'each_way', 2, 10)`),
    { code: '23514', constraint: 'bet_side_known' },
    'a side that is not back or lay',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.place_bet(${strategy}, ${-1}, ${betfair}, 'back', 2, 10)`),
    { code: '23503', constraint: 'bet_selection_fk' },
    'an unknown selection',
  );
  await sql`update trade.strategy set active = false where strategy_id = ${strategy}`;
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.place_bet(${strategy}, ${ok!.home}, ${betfair}, 'back', 2, 10)`),
    { code: 'SL097', message: /not active/ },
    'an inactive strategy',
  );
  t.equal(await betCount(sql), 0, 'nothing written');
});

t.test('the owner (and superuser) still record historical bets directly', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  const g = gs[0]!;
  await sql`select maint.ensure_partitions('trade.bet', '2024-01-01', '2024-01-02')`;
  await asRole(
    sql,
    'owner',
    (tx) => tx`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at)
               values (${strategy}, ${g.home}, ${betfair}, 'back', 2, 10, 'matched', '2024-01-01T12:00:00Z')`,
  );
  await settle(sql, g);
  await asRole(sql, 'worker', (tx) => tx`select trade.settle_bets(${g.event_id})`);
  const [b] = await sql<{ status: string; pnl: string }[]>`select status, pnl::text from trade.bet`;
  t.same(b, { status: 'settled', pnl: '9.50' }, 'a back-test bet recorded by the owner settles');
});

t.test('a settled bet that disagrees with its selection is counted by the registered check', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  const g = gs[0]!;
  await asRole(sql, 'app', (tx) => tx`select trade.match_bet((trade.place_bet(${strategy}, ${g.home}, ${betfair}, 'back', 2, 10)).bet_id)`);
  await settle(sql, g);
  await asRole(sql, 'worker', (tx) => tx`select trade.settle_bets(${g.event_id})`);
  const [check] = await sql<{ query: string; severity: string }[]>`
    select query, severity from refresh."check" where name = 'trade_bets_agree_with_selections'`;
  const value = async () => (await sql.unsafe<{ v: string }[]>(`select (${check!.query})::text as v`))[0]!.v;
  t.equal(check?.severity, 'error', 'an error-level check is registered');
  t.equal(await value(), '0', 'healthy: 0');
  // the owner (a superuser here) flips the result and forgets to settle the bets again
  await sql`update market.selection set result = 'lost' where selection_id = ${g.home}`;
  t.equal(await value(), '1', 'the won bet on a now lost selection: 1');
  await asRole(sql, 'worker', (tx) => tx`select trade.settle_bets(${g.event_id})`);
  t.equal(await value(), '0', 'settling again repairs it: 0');
});
