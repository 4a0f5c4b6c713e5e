// Strategy performance: the hourly aggregate and the daily rollup, maintained like a
// continuous aggregate (watermark + invalidation log), ratios from sums.
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { makeRace, sourceId } from './helpers/timeseries.ts';

interface Daily {
  day: string;
  strategy_id: number;
  bets: number;
  settled: number;
  won: number;
  lost: number;
  stake: string;
  settled_stake: string;
  pnl: string;
  gross_win: string;
  gross_loss: string;
  roi: string | null;
  win_rate: string | null;
  profit_factor: string | null;
  expectancy: string | null;
}

const cols = `day::text, strategy_id, bets, settled, won, lost, stake::numeric(20,2)::text as stake,
  settled_stake::numeric(20,2)::text as settled_stake, pnl::numeric(20,2)::text as pnl,
  gross_win::numeric(20,2)::text as gross_win, gross_loss::numeric(20,2)::text as gross_loss,
  roi::text, win_rate::text, profit_factor::text, expectancy::text`;

async function dailyRows(sql: Sql): Promise<Daily[]> {
  return sql.unsafe<Daily[]>(`select ${cols} from stats.strategy_performance_daily order by day, strategy_id`);
}

/** The daily rows recomputed straight from trade.bet, as the rollup should have them. */
async function recomputed(sql: Sql): Promise<Daily[]> {
  return sql.unsafe<Daily[]>(`
    with d as (
      select (placed_at at time zone 'UTC')::date as day, strategy_id, count(*)::int as bets,
             count(*) filter (where status = 'settled')::int as settled,
             count(*) filter (where status = 'settled' and (side = 'back') = (result = 'won'))::int as won,
             count(*) filter (where status = 'settled' and (side = 'back') <> (result = 'won'))::int as lost,
             sum(stake) as stake,
             coalesce(sum(stake) filter (where status = 'settled'), 0) as settled_stake,
             coalesce(sum(pnl), 0) as pnl,
             coalesce(sum(pnl) filter (where pnl > 0), 0) as gross_win,
             coalesce(-sum(pnl) filter (where pnl < 0), 0) as gross_loss
        from trade.bet group by 1, 2)
    select day::text, strategy_id, bets, settled, won, lost, stake::numeric(20,2)::text as stake,
           settled_stake::numeric(20,2)::text as settled_stake, pnl::numeric(20,2)::text as pnl,
           gross_win::numeric(20,2)::text as gross_win, gross_loss::numeric(20,2)::text as gross_loss,
           case when settled_stake > 0 then round(pnl / settled_stake, 6) end::text as roi,
           case when won + lost > 0 then round(won::numeric / (won + lost), 6) end::text as win_rate,
           case when gross_loss > 0 then round(gross_win / gross_loss, 6) end::text as profit_factor,
           case when won + lost > 0 then round(pnl / (won + lost), 6) end::text as expectancy
      from d order by day, strategy_id`);
}

async function setup(t: Test) {
  const db = await testDb(t);
  const { sql } = db;
  await sql`select maint.ensure_partitions('trade.bet', '2024-01-01', '2024-01-03')`;
  const race = await makeRace(sql, { runners: 3 });
  const betfair = await sourceId(sql, 'betfair');
  const strategies = await sql<{ strategy_id: number }[]>`
    insert into trade.strategy (name, version) values ('favourites', '1'), ('outsiders', '1') returning strategy_id`;
  const [fav, out] = strategies.map((s) => s.strategy_id) as [number, number];
  const place = (strategy: number, selection: string, side: string, odds: string, stake: string, at: string) =>
    sql`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at)
        values (${strategy}, ${selection}, ${betfair}, ${side}, ${odds}, ${stake}, 'matched', ${at})`;
  const settle = async () => {
    await sql`update market.selection set result = case code when '1' then 'won' else 'lost' end
               where market_id = ${race.marketId} and result is null`;
    await sql`update market.market set status = 'settled', settled_at = coalesce(settled_at, now()) where market_id = ${race.marketId}`;
    await sql`select trade.settle_bets(${race.eventId})`;
  };
  return { ...db, race, fav, out, place, settle };
}

t.test('the daily rollup recomputes ratios from sums, never averages hours', async (t) => {
  const { sql, race, fav, out, place, settle } = await setup(t);
  const [s1, s2] = race.selections as [string, string];
  await place(fav, s1, 'back', '3.0', '10', '2024-01-01T04:10:00Z'); // +19.00 (5% of 20)
  await place(fav, s2, 'back', '2.0', '100', '2024-01-01T05:20:00Z'); // -100
  await place(out, s2, 'lay', '5.0', '10', '2024-01-01T05:40:00Z'); // +9.50
  await place(out, s1, 'back', '3.0', '4', '2024-01-02T10:00:00Z'); // +7.60
  await settle();
  const [n] = await sql<{ n: number }[]>`select trade.refresh_strategy_performance('2024-01-03T00:00:00Z') as n`;
  t.equal(n?.n, 3, 'three hours re-aggregated');
  const hourly = await sql<{ bucket: Date; strategy_id: number; roi: string }[]>`
    select bucket, strategy_id, roi::text from stats.strategy_performance_hourly where strategy_id = ${fav} order by bucket`;
  t.same(
    hourly.map((h) => [h.bucket.toISOString(), h.roi]),
    [
      ['2024-01-01T04:00:00.000Z', '1.900000'],
      ['2024-01-01T05:00:00.000Z', '-1.000000'],
    ],
    'hourly ROI per hour',
  );
  const daily = await dailyRows(sql);
  const favDay = daily.find((d) => d.strategy_id === fav && d.day === '2024-01-01');
  t.equal(favDay?.roi, '-0.736364', 'daily ROI = (19 - 100) / 110, not the mean of 1.9 and -1 (0.45)');
  t.equal(favDay?.win_rate, '0.500000');
  t.equal(favDay?.profit_factor, '0.190000', '19 won / 100 lost');
  t.equal(favDay?.expectancy, '-40.500000', 'P&L per settled bet');
  t.same(daily, await recomputed(sql), 'every daily row equals a recomputation from the bets');
  const [log] = await sql<{ n: number }[]>`select count(*)::int as n from trade.performance_invalidation`;
  t.equal(log?.n, 0, 'the invalidation log is consumed');
  const [wm] = await sql<{ watermark: Date }[]>`select watermark from trade.performance_watermark`;
  t.equal(wm?.watermark.toISOString(), '2024-01-03T00:00:00.000Z', 'the watermark moved');
});

t.test('a late bet in an already rolled-up day changes that day only', async (t) => {
  const { sql, race, fav, out, place, settle } = await setup(t);
  const [s1, s2] = race.selections as [string, string];
  await place(fav, s1, 'back', '3.0', '10', '2024-01-01T04:10:00Z');
  await place(out, s1, 'back', '3.0', '4', '2024-01-02T10:00:00Z');
  await settle();
  await sql`select trade.refresh_strategy_performance('2024-01-03T00:00:00Z')`;
  const before = await sql<{ day: string; refreshed_at: Date }[]>`
    select day::text, refreshed_at from stats.strategy_performance_daily order by day`;

  // a bet placed on 1 January arrives late, and is settled
  await place(fav, s2, 'back', '6.0', '50', '2024-01-01T23:59:00Z');
  await sql`select trade.settle_bets(${race.eventId})`;
  const buckets = await sql<{ bucket: Date }[]>`select distinct bucket from trade.performance_invalidation`;
  t.same(
    buckets.map((b) => b.bucket.toISOString()),
    ['2024-01-01T23:00:00.000Z'],
    'the late bet invalidated its hour only',
  );
  const [n] = await sql<{ n: number }[]>`select trade.refresh_strategy_performance('2024-01-03T00:00:00Z') as n`;
  t.equal(n?.n, 1, 'one hour re-aggregated');
  const daily = await dailyRows(sql);
  const jan1 = daily.find((d) => d.day === '2024-01-01' && d.strategy_id === fav);
  t.same([jan1?.bets, jan1?.pnl, jan1?.roi], [2, '-31.00', '-0.516667'], '1 January now has both bets: (19 - 50) / 60');
  t.same(daily, await recomputed(sql), 'and equals a recomputation from the bets');
  const after = await sql<{ day: string; refreshed_at: Date }[]>`
    select day::text, refreshed_at from stats.strategy_performance_daily order by day`;
  t.same(
    after.find((d) => d.day === '2024-01-02')?.refreshed_at,
    before.find((d) => d.day === '2024-01-02')?.refreshed_at,
    '2 January was not re-aggregated',
  );

  // a corrected result re-settles bets; the days they were placed on follow
  await sql`update market.selection set result = case code when '1' then 'lost' when '2' then 'won' else result end
             where market_id = ${race.marketId}`;
  await sql`select trade.settle_bets(${race.eventId})`;
  await sql`select trade.refresh_strategy_performance('2024-01-03T00:00:00Z')`;
  t.same(await dailyRows(sql), await recomputed(sql), 'after a correction too');

  // invalidations after p_until wait for a later refresh
  await place(fav, s1, 'back', '2.0', '1', '2024-01-03T08:00:00Z');
  const [none] = await sql<{ n: number }[]>`select trade.refresh_strategy_performance('2024-01-03T00:00:00Z') as n`;
  t.equal(none?.n, 0, 'a bet after the refresh window is left for later');
  const [later] = await sql<{ n: number }[]>`select trade.refresh_strategy_performance('2024-01-04T00:00:00Z') as n`;
  t.equal(later?.n, 1, 'and picked up when the window covers it');
  t.same(await dailyRows(sql), await recomputed(sql));
  const [orchestrated] = await sql<{ n: number }[]>`
    select trade.refresh_strategy_performance('stats.strategy_performance_daily'::regclass, '{}') as n`;
  t.equal(orchestrated?.n, 0, "the orchestrator's entry point runs (nothing left to do)");
});

t.test('the aggregate tables refuse what they cannot hold', async (t) => {
  const { sql, fav } = await setup(t);
  await rejectsWith(
    t,
    sql`insert into stats.strategy_performance_hourly (bucket, strategy_id, market_type, bets, matched, settled, won, lost, void, cancelled,
          stake, settled_stake, gross_win, gross_loss, pnl, commission)
        values ('2024-01-01T04:30:00Z', ${fav}, 'race_win', 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0)`,
    { code: '23514', constraint: 'strategy_performance_hourly_bucket_is_hour' },
  );
  await rejectsWith(t, sql`insert into trade.performance_watermark (singleton) values (false)`, {
    code: '23514',
    constraint: 'performance_watermark_one_row',
  });
});
