// Trading: strategies, the bet lifecycle, settlement P&L and commission, race predictions.
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { rejectsWith, restrictViolation, testDb } from './helpers/db.ts';
import { pick, user } from './helpers/fixtures.ts';
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

/** Finishing positions by runner number (1-based; null: did not finish), the race completed, then scored and its bets settled. */
async function finish(sql: Sql, race: RaceFixture, positions: (number | null)[]): Promise<void> {
  await sql`
    update core.runner r set status = case when p.pos is null then 'did_not_finish' else 'finished' end, finish_position = p.pos
      from unnest(${sql.array(race.runners)}::bigint[], ${sql.array(positions.map((p) => (p === null ? null : String(p))))}::int[])
           as p(runner_id, pos)
     where r.runner_id = p.runner_id`;
  await sql`update core.event set status = 'completed' where event_id = ${race.eventId}`;
  await sql`select forecast.score_event(${race.eventId})`; // settles the markets, then scores
  await sql`select trade.settle_bets(${race.eventId})`;
}

/** A race_place market paying `places` on the race, a selection per runner (by number). */
async function placeMarket(sql: Sql, race: RaceFixture, places: number): Promise<string[]> {
  const [mk] = await sql<{ market_id: string }[]>`
    insert into market.market (event_id, market_type, places) values (${race.eventId}, 'race_place', ${places}) returning market_id`;
  const sels = await sql<{ selection_id: string }[]>`
    insert into market.selection (market_id, code, label, runner_id)
    select ${mk!.market_id}, r.number::text, r.name, r.runner_id from core.runner r where r.event_id = ${race.eventId} order by r.number
    returning selection_id`;
  return sels.map((x) => x.selection_id);
}

t.test('dead heats: bets are settled by the dead-heat rule, as predictions are scored', async (t) => {
  const { sql, betfair } = await setup(t);
  const exchange = await strategy(sql, 'dead heat, exchange rate'); // betfair's 5%
  const own = await strategy(sql, 'dead heat, own rate', '0.02');
  const before = { at: '2023-12-31T12:00:00Z' };
  const cases: { name: string; spec: BetSpec; pnl: string; commission: string; units?: string }[] = [];
  const add = (name: string, spec: BetSpec, pnl: string, commission: string, units?: string) =>
    cases.push({ name, spec, pnl, commission, ...(units ? { units } : {}) });

  // race A: runners 1 and 2 dead-heat for first; 3 third, 4 did not finish
  const a = await makeRace(sql, { runners: 4 });
  const aPlace = await placeMarket(sql, a, 3);
  const [a1, a2, a3] = a.selections as [string, string, string];
  add(
    '2-way for 1st, back: half the stake at 5.0, half lost',
    { strategy: exchange, selection: a1, source: betfair, side: 'back', odds: '5.0', stake: '10' },
    '14.25',
    '0.75',
    '15',
  ); // 10 x 5.0 / 2 - 10 = 15.00, less 5%
  add(
    '2-way for 1st, back at 1.5: a winner that loses money',
    { strategy: exchange, selection: a2, source: betfair, side: 'back', odds: '1.5', stake: '10' },
    '-2.50',
    '0.00',
    '-2.5',
  ); // 10 x 1.5 / 2 - 10
  add(
    '2-way for 1st, lay: the other side of the back bet',
    { strategy: exchange, selection: a1, source: betfair, side: 'lay', odds: '5.0', stake: '10' },
    '-15.00',
    '0.00',
  ); // 10 - 10 x 5.0 / 2
  add(
    '2-way for 1st, lay at 1.5: the layer wins',
    { strategy: exchange, selection: a2, source: betfair, side: 'lay', odds: '1.5', stake: '10' },
    '2.37',
    '0.13',
  ); // 10 - 7.50 = 2.50, commission 0.125 -> 0.13
  add(
    'third in a 3-place market, no dead heat: paid in full',
    { strategy: exchange, selection: aPlace[2]!, source: betfair, side: 'back', odds: '2.0', stake: '10' },
    '9.50',
    '0.50',
    '10',
  );
  add(
    'a loser is not touched by the dead heat',
    { strategy: exchange, selection: a3, source: betfair, side: 'back', odds: '4.0', stake: '10' },
    '-10.00',
    '0.00',
    '-10',
  );

  // race B: runners 1, 2 and 3 dead-heat for first of five; a place market paying 2
  const b = await makeRace(sql, { runners: 5 });
  const bPlace = await placeMarket(sql, b, 2);
  const [b1, b2, b3] = b.selections as [string, string, string];
  add(
    '3-way for 1st, back, strategy rate 2%',
    { strategy: own, selection: b1, source: betfair, side: 'back', odds: '7.5', stake: '10' },
    '14.70',
    '0.30',
    '15',
  ); // 10 x 7.5 / 3 - 10 = 15.00, less 2%
  add(
    '3-way for 1st, back at 4.0: a third of the stake at 4.0',
    { strategy: exchange, selection: b2, source: betfair, side: 'back', odds: '4.0', stake: '10' },
    '3.16',
    '0.17',
  ); // 10 x 4 / 3 - 10 = 3.33, commission 0.1665 -> 0.17
  add(
    '3-way for 1st, lay at 6.0',
    { strategy: exchange, selection: b3, source: betfair, side: 'lay', odds: '6.0', stake: '10' },
    '-10.00',
    '0.00',
  ); // 10 - 10 x 6 / 3
  add(
    '3-way for 1st in a 2-place market: two thirds of the stake at 2.4',
    { strategy: exchange, selection: bPlace[0]!, source: betfair, side: 'back', odds: '2.4', stake: '9' },
    '5.13',
    '0.27',
    '5.4',
  ); // 9 x 2.4 x 2 / 3 - 9 = 5.40, less 5%
  add(
    '3-way for 1st in a 2-place market, lay',
    { strategy: exchange, selection: bPlace[1]!, source: betfair, side: 'lay', odds: '2.4', stake: '9' },
    '-5.40',
    '0.00',
  );

  const ids: string[] = [];
  const picks: (number | null)[] = [];
  for (const [i, c] of cases.entries()) {
    ids.push(await bet(sql, c.spec));
    // the same terms as a back prediction, by a punter of its own (one pick per win market)
    picks.push(
      c.units
        ? await pick(sql, await user(sql, `dead_heat_${i}`), Number(c.spec.selection), {
            odds: Number(c.spec.odds),
            stake: Number(c.spec.stake),
            ...before,
          })
        : null,
    );
  }
  await finish(sql, a, [1, 1, 3, null]);
  await finish(sql, b, [1, 1, 1, 4, 5]);

  const rows = await sql<{ bet_id: string; status: string; pnl: string; commission: string }[]>`
    select bet_id, status, pnl::text, commission::text from trade.bet`;
  const byId = new Map(rows.map((r) => [r.bet_id, r]));
  cases.forEach((c, i) => {
    const r = byId.get(ids[i]!);
    t.same(
      [r?.status, r?.pnl, r?.commission],
      ['settled', c.pnl, c.commission],
      `bet: ${c.name}: P&L ${c.pnl}, commission ${c.commission}`,
    );
  });
  const scores = await sql<{ prediction_id: string; outcome: string; units: string }[]>`
    select prediction_id, outcome, units::text from forecast.prediction_score`;
  const units = new Map(scores.map((r) => [Number(r.prediction_id), r]));
  let compared = 0;
  cases.forEach((c, i) => {
    const id = picks[i];
    if (id === null || id === undefined) return;
    compared++;
    t.equal(Number(units.get(id)?.units), Number(c.units), `prediction: ${c.name}: ${c.units} units, the bet's P&L before commission`);
  });
  t.equal(compared, 6, 'six predictions on the same terms as back bets');

  const [again] = await sql<{ n: number }[]>`select trade.settle_bets(${b.eventId}) as n`;
  t.equal(again?.n, 0, 'settling again changes nothing');
  // the photo is re-read: runner 1 won race B alone; the bets on it are paid in full, 2 and 3 lose
  await sql`select core.correct_event_result(${b.eventId}, 'completed', null, null, 'photo re-read', '{"2": 2, "3": 2}'::jsonb)`;
  await sql`select forecast.score_event(${b.eventId})`;
  const [resettled] = await sql<{ n: number }[]>`select trade.settle_bets(${b.eventId}) as n`;
  t.equal(resettled?.n, 5, 'every bet on race B re-settled');
  const [won] = await sql<{ pnl: string }[]>`select pnl::text from trade.bet where bet_id = ${ids[6]!}`;
  t.equal(won?.pnl, '63.70', 'runner 1 alone: 10 x (7.5 - 1) = 65.00, less 2%');
  const [placed] = await sql<{ pnl: string }[]>`select pnl::text from trade.bet where bet_id = ${ids[9]!}`;
  t.equal(placed?.pnl, '11.97', 'runner 1 placed, 2 and 3 dead-heat for second in the 2-place market: 9 x 2.4 = 12.60 won, less 5%');
  const dh = await sql<{ code: string; places: number; tied: number }[]>`
    select s.code, d.places, d.tied from market.dead_heats(${b.eventId}) d join market.selection s using (selection_id) order by s.market_id, s.code`;
  t.same(
    dh.map((d) => [d.code, d.places, d.tied]),
    [
      ['2', 1, 2],
      ['3', 1, 2],
    ],
    'market.dead_heats: 2 and 3 share the second place',
  );
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
