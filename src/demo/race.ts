// The race meeting of `make demo`: the Hong Kong results file is loaded by its feed
// (hkjc_results: races, runners, race_win markets, the win odds in the runners'
// metadata, and as historical prices in market.odds_history at the estimated start - 10
// minutes, the file giving no post times); here the race strategies bet in SQL
// (trade.create_race_strategy_bets), the races' markets and bets are settled and the
// strategy performance refreshed (refresh.refresh_object). Every step is idempotent.
import type { Sql } from '../db.ts';
import { feeds, loadFile } from '../ingest/load.ts';

/** The names of the strategies trade.create_race_strategy_bets bets for. */
export const RACE_STRATEGIES = ['favourite_back', 'favourite_lay', 'value_back'] as const;

export interface StrategyDay {
  strategy: string;
  day: string;
  bets: number;
  won: number;
  lost: number;
  stake: string;
  pnl: string;
  roi: string | null;
  win_rate: string | null;
  profit_factor: string | null;
}

export interface RaceMeetingSummary {
  races: number;
  /** The races' hkjc win prices held in market.odds_history (the feed keeps them; all runs'). */
  prices: number;
  /** Placed and settled by this run (0 on a run after the first). */
  bets: number;
  settled: number;
  /** What the races have in all, this run's and earlier runs'. */
  totalBets: number;
  totalSettled: number;
  performance: StrategyDay[];
}

/** The HKJC races loaded (kind race, competition hkjc, with a race_win market). */
async function races(sql: Sql): Promise<string[]> {
  const rows = await sql<{ event_id: string }[]>`
    select e.event_id
      from core.event e
      join core.competition c on c.competition_id = e.competition_id and c.code = 'hkjc'
     where e.kind = 'race'
       and exists (select from market.market m where m.event_id = e.event_id and m.market_type = 'race_win')
     order by e.scheduled_start, e.event_id`;
  return rows.map((r) => r.event_id);
}

/** The hkjc win prices the feed kept for these races (market.odds_history). */
async function heldWinPrices(sql: Sql, eventIds: string[]): Promise<number> {
  const [held] = await sql<{ n: number }[]>`
    select count(*)::int as n
      from market.odds_history h
      join market.selection s on s.selection_id = h.selection_id
      join market.market m on m.market_id = s.market_id and m.market_type = 'race_win'
      join market.source src on src.source_id = h.source_id and src.code = 'hkjc'
     where m.event_id = any (${sql.array(eventIds)}::bigint[])`;
  return held?.n ?? 0;
}

/** Win odds, the strategies' bets, settlement and performance over the HKJC races loaded. */
export async function runRaceMeeting(sql: Sql): Promise<RaceMeetingSummary> {
  const ids = await races(sql);
  const prices = await heldWinPrices(sql, ids);
  const [placed] = await sql<{ n: number }[]>`select trade.create_race_strategy_bets(${sql.array(ids)}::bigint[]) as n`;
  // the feed loads the races completed: their markets are settled, then the bets on them
  await sql`
    select market.settle_event(event_id) from core.event
     where event_id = any (${sql.array(ids)}::bigint[]) and status = 'completed' order by event_id`;
  const [settled] = await sql<{ n: number }[]>`
    select coalesce(sum(trade.settle_bets(event_id)), 0)::int as n from core.event where event_id = any (${sql.array(ids)}::bigint[])`;
  // through the refresh orchestrator, as `make refresh` does: audited, and refresh.status fresh after
  for (const object of ['stats.strategy_performance_hourly', 'stats.strategy_performance_daily']) {
    await sql`call refresh.refresh_object(${object}::regclass)`;
  }
  const performance = await sql<StrategyDay[]>`
    select st.name as strategy, d.day::text, d.bets, d.won, d.lost, d.stake::text, d.pnl::text,
           d.roi::text, d.win_rate::text, d.profit_factor::text
      from stats.strategy_performance_daily d
      join trade.strategy st using (strategy_id)
     where st.name = any (${sql.array([...RACE_STRATEGIES])}::text[])
       and d.day in (select distinct (b.placed_at at time zone 'UTC')::date
                       from trade.bet b
                       join market.selection s using (selection_id)
                       join market.market m using (market_id)
                      where m.event_id = any (${sql.array(ids)}::bigint[]) and b.strategy_id = st.strategy_id)
     order by st.name, d.day`;
  const [total] = await sql<{ bets: number; settled: number }[]>`
    select count(*)::int as bets, count(*) filter (where b.status in ('settled', 'void'))::int as settled
      from trade.bet b join market.selection s using (selection_id) join market.market m using (market_id)
     where m.event_id = any (${sql.array(ids)}::bigint[])`;
  return {
    races: ids.length,
    prices,
    bets: placed?.n ?? 0,
    settled: settled?.n ?? 0,
    totalBets: total?.bets ?? 0,
    totalSettled: total?.settled ?? 0,
    performance,
  };
}

export interface RaceDemoSummary extends RaceMeetingSummary {
  /** Runners the load inserted. */
  runners: number;
  /** Prices the load kept (ingest.batch.odds_kept): new or changed ones. */
  pricesKept: number;
}

/** The whole race pipeline on one HKJC results file: the feed's load, then the meeting. */
export async function runRaceDemo(sql: Sql, file: string): Promise<RaceDemoSummary> {
  const batch = await loadFile(sql, feeds.hkjc_results!, file);
  return { ...(await runRaceMeeting(sql)), runners: batch.inserted, pricesKept: batch.odds_kept };
}
