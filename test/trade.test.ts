// Trading: strategies, the bet lifecycle, settlement P&L and commission, race predictions.
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { rejectsWith, restrictViolation, testDb } from './helpers/db.ts';
import { makeRace, sourceId, type RaceFixture } from './helpers/timeseries.ts';

async function strategy(sql: Sql, name: string, commission: string | null = null): Promise<number> {
  const [row] = await sql<{ strategy_id: number }[]>`
    insert into trade.strategy (name, version, parameters, commission_rate)
    values (${name}, '1', '{"threshold": 0.1}', ${commission}) returning strategy_id`;
  return row!.strategy_id;
}

interface BetSpec {
  strategy: number;
  selection: string;
  source: number;
  side: 'back' | 'lay';
  odds: string;
  stake: string;
  status?: 'pending' | 'matched';
  placedAt?: string;
}

async function bet(sql: Sql, b: BetSpec): Promise<string> {
  const [row] = await sql<{ bet_id: string }[]>`
    insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at)
    values (${b.strategy}, ${b.selection}, ${b.source}, ${b.side}, ${b.odds}, ${b.stake}, ${b.status ?? 'matched'},
            ${b.placedAt ?? '2024-01-01T04:30:00Z'})
    returning bet_id`;
  return row!.bet_id;
}

/** Settle the race's win market: results by runner number (1-based), as settlement would. */
async function settleMarket(sql: Sql, race: RaceFixture, results: ('won' | 'lost' | 'void')[]): Promise<void> {
  await sql`
    update market.selection s set result = r.result
      from unnest(${sql.array(race.selections)}::bigint[], ${sql.array(results)}::text[]) as r(selection_id, result)
     where s.selection_id = r.selection_id`;
  await sql`update market.market set status = 'settled', settled_at = now() where market_id = ${race.marketId}`;
}

async function setup(t: Test) {
  const db = await testDb(t);
  await db.sql`select maint.ensure_partitions('trade.bet', '2024-01-01', '2024-01-02')`;
  const race = await makeRace(db.sql, { runners: 3 });
  const betfair = await sourceId(db.sql, 'betfair');
  return { ...db, race, betfair };
}

t.test('P&L and commission for every back/lay x won/lost/void case', async (t) => {
  const { sql, race, betfair } = await setup(t);
  const exchange = await strategy(sql, 'exchange rate'); // the source's 5%
  const own = await strategy(sql, 'own rate', '0.02'); // the strategy's 2% wins over the source's
  const [s1, s2, s3] = race.selections as [string, string, string];
  const cases: { name: string; spec: BetSpec; pnl: string; commission: string; status: string }[] = [
    {
      name: 'back won',
      spec: { strategy: exchange, selection: s1, source: betfair, side: 'back', odds: '3.0', stake: '10' },
      pnl: '19.00',
      commission: '1.00',
      status: 'settled',
    },
    {
      name: 'back lost',
      spec: { strategy: exchange, selection: s2, source: betfair, side: 'back', odds: '4.5', stake: '10' },
      pnl: '-10.00',
      commission: '0.00',
      status: 'settled',
    },
    {
      name: 'lay won (selection lost)',
      spec: { strategy: exchange, selection: s2, source: betfair, side: 'lay', odds: '4.5', stake: '10' },
      pnl: '9.50',
      commission: '0.50',
      status: 'settled',
    },
    {
      name: 'lay lost (selection won)',
      spec: { strategy: exchange, selection: s1, source: betfair, side: 'lay', odds: '3.0', stake: '10' },
      pnl: '-20.00',
      commission: '0.00',
      status: 'settled',
    },
    {
      name: 'back void',
      spec: { strategy: exchange, selection: s3, source: betfair, side: 'back', odds: '7', stake: '10' },
      pnl: '0.00',
      commission: '0.00',
      status: 'void',
    },
    {
      name: 'lay void',
      spec: { strategy: exchange, selection: s3, source: betfair, side: 'lay', odds: '7', stake: '10' },
      pnl: '0.00',
      commission: '0.00',
      status: 'void',
    },
    {
      name: 'back won, strategy rate',
      spec: { strategy: own, selection: s1, source: betfair, side: 'back', odds: '3.0', stake: '10' },
      pnl: '19.60',
      commission: '0.40',
      status: 'settled',
    },
    {
      name: 'lay won, strategy rate',
      spec: { strategy: own, selection: s2, source: betfair, side: 'lay', odds: '2.5', stake: '20' },
      pnl: '19.60',
      commission: '0.40',
      status: 'settled',
    },
    {
      name: 'back won, odds with pence',
      spec: { strategy: exchange, selection: s1, source: betfair, side: 'back', odds: '2.37', stake: '3.33' },
      pnl: '4.33',
      commission: '0.23',
      status: 'settled',
    },
  ];
  const ids: string[] = [];
  for (const c of cases) ids.push(await bet(sql, c.spec));
  const pending = await bet(sql, {
    strategy: exchange,
    selection: s1,
    source: betfair,
    side: 'back',
    odds: '9',
    stake: '5',
    status: 'pending',
  });
  await settleMarket(sql, race, ['won', 'lost', 'void']);
  const [n] = await sql<{ n: number }[]>`select trade.settle_bets(${race.eventId}) as n`;
  t.equal(n?.n, cases.length + 1, 'every matched bet settled, the pending one lapsed');
  const rows = await sql<{ bet_id: string; status: string; pnl: string; commission: string; result: string }[]>`
    select bet_id, status, pnl::text, commission::text, result from trade.bet`;
  const byId = new Map(rows.map((r) => [r.bet_id, r]));
  cases.forEach((c, i) => {
    const r = byId.get(ids[i]!);
    t.same([r?.status, r?.pnl, r?.commission], [c.status, c.pnl, c.commission], c.name);
  });
  t.equal(byId.get(pending)?.status, 'cancelled', 'an unmatched bet lapses');
  t.equal(byId.get(pending)?.pnl, null, 'a lapsed bet has no P&L');

  const [again] = await sql<{ n: number }[]>`select trade.settle_bets(${race.eventId}) as n`;
  t.equal(again?.n, 0, 'settling again changes nothing');

  // a corrected result: runner 2 won, runner 1 lost
  await sql`update market.selection set result = case code when '1' then 'lost' when '2' then 'won' else result end
             where market_id = ${race.marketId}`;
  const [resettled] = await sql<{ n: number }[]>`select trade.settle_bets(${race.eventId}) as n`;
  t.equal(resettled?.n, 7, 'the seven bets on runners 1 and 2 are re-settled');
  const [first] = await sql<{ pnl: string; result: string }[]>`select pnl::text, result from trade.bet where bet_id = ${ids[0]!}`;
  t.same(first, { pnl: '-10.00', result: 'lost' }, 'the back bet on runner 1 now lost');
});

t.test('a void market voids every bet on it', async (t) => {
  const { sql, race, betfair } = await setup(t);
  const s = await strategy(sql, 'void market');
  const id = await bet(sql, { strategy: s, selection: race.selections[0]!, source: betfair, side: 'back', odds: '3', stake: '10' });
  await sql`update market.market set status = 'void', settled_at = now() where market_id = ${race.marketId}`;
  await sql`select trade.settle_bets(${race.eventId})`;
  const [row] = await sql<{ status: string; pnl: string }[]>`select status, pnl::text from trade.bet where bet_id = ${id}`;
  t.same(row, { status: 'void', pnl: '0.00' });
});

t.test('the bet lifecycle is enforced', async (t) => {
  const { sql, race, betfair } = await setup(t);
  const s = await strategy(sql, 'lifecycle');
  const sel = race.selections[0]!;
  const spec: BetSpec = { strategy: s, selection: sel, source: betfair, side: 'back', odds: '3', stake: '10', status: 'pending' };
  const id = await bet(sql, spec);
  const [placed] = await sql<{ market_type: string; matched_at: Date | null }[]>`
    select market_type, matched_at from trade.bet where bet_id = ${id}`;
  t.same(placed, { market_type: 'race_win', matched_at: null }, "market type copied from the selection's market");
  await sql`update trade.bet set status = 'matched' where bet_id = ${id}`;
  const [matched] = await sql<{ matched_at: Date | null }[]>`select matched_at from trade.bet where bet_id = ${id}`;
  t.ok(matched?.matched_at, 'matching stamps matched_at');

  await rejectsWith(t, sql`update trade.bet set status = 'settled' where bet_id = ${id}`, {
    code: 'SL083',
    message: /status cannot go from matched to settled/,
  });
  await rejectsWith(t, sql`update trade.bet set status = 'pending' where bet_id = ${id}`, { code: 'SL083' });
  await rejectsWith(t, sql`update trade.bet set stake = 20 where bet_id = ${id}`, { code: 'SL085', message: /is matched: its terms/ });
  await rejectsWith(t, sql`update trade.bet set odds = 2 where bet_id = ${id}`, { code: 'SL085' });
  await rejectsWith(t, sql`update trade.bet set pnl = 100 where bet_id = ${id}`, { code: 'SL084', message: /computed by settlement/ });
  await rejectsWith(t, sql`update trade.bet set commission = 0 where bet_id = ${id}`, { code: 'SL084' });
  await rejectsWith(t, sql`update trade.bet set matched_at = null where bet_id = ${id}`, {
    code: '23514',
    constraint: 'bet_matched_has_time',
  });

  await sql`update trade.bet set status = 'void' where bet_id = ${id}`;
  const [voided] = await sql<{ pnl: string; commission: string }[]>`select pnl::text, commission::text from trade.bet where bet_id = ${id}`;
  t.same(voided, { pnl: '0.00', commission: '0.00' }, 'a voided bet has P&L 0');
  await rejectsWith(t, sql`update trade.bet set status = 'matched' where bet_id = ${id}`, {
    code: 'SL083',
    message: /from void to matched/,
  });

  const other = await bet(sql, spec);
  await sql`update trade.bet set status = 'cancelled' where bet_id = ${other}`;
  await rejectsWith(t, sql`update trade.bet set status = 'matched' where bet_id = ${other}`, { code: 'SL083' });
  const pendingOne = await bet(sql, spec);
  await sql`update trade.bet set stake = 12 where bet_id = ${pendingOne}`;
  t.pass("a pending bet's terms may still change");
});

t.test('bad bets are refused', async (t) => {
  const { sql, race, betfair } = await setup(t);
  const s = await strategy(sql, 'bad bets');
  const sel = race.selections[0]!;
  const ins = (cols: Record<string, unknown>) =>
    sql`insert into trade.bet ${sql({ strategy_id: s, selection_id: sel, source_id: betfair, side: 'back', odds: 3, stake: 10, placed_at: '2024-01-01T04:00:00Z', ...cols } as Record<string, string | number | null>)}`;
  await rejectsWith(t, ins({ side: 'sideways' }), { code: '23514', constraint: 'bet_side_known' });
  await rejectsWith(t, ins({ odds: 1 }), { code: '23514', constraint: 'bet_odds_above_one' });
  await rejectsWith(t, ins({ stake: 0 }), { code: '23514', constraint: 'bet_stake_positive' });
  await rejectsWith(t, ins({ status: 'floating' }), { code: '23514', constraint: 'bet_status_known' });
  await rejectsWith(t, ins({ status: 'settled' }), { code: 'SL083', message: /placed pending or matched, not settled/ });
  await rejectsWith(t, ins({ pnl: 5 }), { code: 'SL084' });
  await rejectsWith(t, ins({ commission: 0 }), { code: 'SL084' });
  await rejectsWith(t, ins({ strategy_id: 999999 }), { code: '23503', constraint: 'bet_strategy_fk' });
  await rejectsWith(t, ins({ selection_id: 999999 }), { code: '23503', constraint: 'bet_selection_fk', message: /selection 999999/ });
  await rejectsWith(t, ins({ source_id: 999 }), { code: '23503', constraint: 'bet_source_fk' });
  await rejectsWith(t, sql`select trade.settle_bets(-1)`, { code: 'SL086', message: /no event -1/ });

  // the constraints behind settlement hold even for a writer that pretends to settle
  const id = await bet(sql, { strategy: s, selection: sel, source: betfair, side: 'back', odds: '3', stake: '10' });
  const pretend = (stmt: (tx: Sql) => Promise<unknown>) =>
    sql.begin(async (tx) => {
      await tx`select set_config('scoreline.settling_bets', 'on', true)`;
      await stmt(tx as unknown as Sql);
    });
  await rejectsWith(
    t,
    pretend((tx) => tx`update trade.bet set status = 'settled' where bet_id = ${id}`),
    {
      code: '23514',
      constraint: 'bet_outcome_iff_settled',
    },
  );
  await rejectsWith(
    t,
    pretend((tx) => tx`update trade.bet set result = 'maybe' where bet_id = ${id}`),
    {
      code: '23514',
      constraint: 'bet_result_known',
    },
  );
  await rejectsWith(
    t,
    pretend((tx) => tx`update trade.bet set commission = -1 where bet_id = ${id}`),
    {
      code: '23514',
      constraint: 'bet_commission_non_negative',
    },
  );
  await rejectsWith(t, sql`delete from market.selection where selection_id = ${sel}`, {
    code: await restrictViolation(sql),
    constraint: 'bet_selection_fk',
  });
});

t.test('bad strategies are refused', async (t) => {
  const { sql } = await testDb(t);
  await strategy(sql, 'twice');
  await rejectsWith(t, sql`insert into trade.strategy (name, version) values ('twice', '1')`, {
    code: '23505',
    constraint: 'strategy_name_version_key',
  });
  await sql`insert into trade.strategy (name, version) values ('twice', '2')`;
  await rejectsWith(t, sql`insert into trade.strategy (name, version) values (' ', '1')`, {
    code: '23514',
    constraint: 'strategy_name_given',
  });
  await rejectsWith(t, sql`insert into trade.strategy (name, version) values ('x', '')`, {
    code: '23514',
    constraint: 'strategy_version_given',
  });
  await rejectsWith(t, sql`insert into trade.strategy (name, version, parameters) values ('x', '1', '[1]')`, {
    code: '23514',
    constraint: 'strategy_parameters_is_object',
  });
  await rejectsWith(t, sql`insert into trade.strategy (name, version, commission_rate) values ('x', '1', 1)`, {
    code: '23514',
    constraint: 'strategy_commission_rate_range',
  });
});

t.test('race predictions', async (t) => {
  const { sql, race } = await setup(t);
  await sql`select maint.ensure_partitions('forecast.race_prediction', '2024-01-01', '2024-01-01')`;
  const [model] = await sql<{ forecaster_id: string }[]>`
    insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'form', '1', 'logistic') returning forecaster_id`;
  const [user] = await sql<{ forecaster_id: string }[]>`
    insert into forecast.forecaster (kind, name, handle) values ('user', 'Ann', 'ann') returning forecaster_id`;
  const runner = race.runners[0]!;
  const ins = (cols: Record<string, unknown>) =>
    sql`insert into forecast.race_prediction ${sql({ forecaster_id: model!.forecaster_id, runner_id: runner, predicted_outcome: 'win', confidence: 0.4, predicted_at: '2024-01-01T04:00:00Z', ...cols } as Record<string, string | number>)}`;
  await ins({});
  const [row] = await sql<{ event_id: string; part: string }[]>`
    select event_id, tableoid::regclass::text as part from forecast.race_prediction`;
  t.same(
    row,
    { event_id: race.eventId, part: 'forecast.race_prediction_p20240101' },
    'the race is copied from the runner; daily partition',
  );
  await rejectsWith(t, ins({ predicted_outcome: 'show' }), { code: '23514', constraint: 'race_prediction_outcome_known' });
  await rejectsWith(t, ins({ confidence: 0 }), { code: '23514', constraint: 'race_prediction_confidence_range' });
  await rejectsWith(t, ins({ confidence: 1.01 }), { code: '23514', constraint: 'race_prediction_confidence_range' });
  await rejectsWith(t, ins({ features: '"x"' }), { code: '23514', constraint: 'race_prediction_features_is_object' });
  await rejectsWith(t, ins({ runner_id: 999999 }), { code: '23503', constraint: 'race_prediction_runner_fk' });
  await rejectsWith(t, ins({ forecaster_id: 999999 }), { code: '23503', constraint: 'race_prediction_forecaster_fk' });
  await rejectsWith(t, ins({ forecaster_id: user!.forecaster_id }), { code: 'SL087', message: /is a user/ });
});
