// The race meeting of `make demo`: the Hong Kong results file is loaded by its feed
// (hkjc_results: races, runners, race_win markets, the win odds in the runners'
// metadata); here the win odds become odds snapshots through the COPY path, the race
// strategies bet in SQL (trade.create_race_strategy_bets), the races' markets and bets
// are settled and the strategy performance refreshed (refresh.refresh_object). Every step is idempotent.
import type { Sql } from '../db.ts';
import { feeds, loadFile } from '../ingest/load.ts';
import { copyOddsSnapshots } from '../ingest/odds-copy.ts';

/** The names of the strategies trade.create_race_strategy_bets bets for. */
export const RACE_STRATEGIES = ['favourite_back', 'favourite_lay', 'value_back'] as const;

/** The file gives no post times: its final win odds are recorded as a snapshot 10 minutes before the estimated start. */
export const ODDS_LEAD = '10 minutes';

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
  /** Written, placed, settled by this run (0 on a run after the first). */
  snapshots: number;
  bets: number;
  settled: number;
  /** What the races have in all, this run's and earlier runs'. */
  totalSnapshots: number;
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

/** The runners' hkjc win odds (from the feed) as one hkjc snapshot each, unless recorded already. Returns the snapshots written. */
export async function recordWinOdds(sql: Sql, eventIds: string[]): Promise<number> {
  const rows = await sql<{ selection_id: string; source_id: number; observed_at: Date; price: string }[]>`
    select s.selection_id, src.source_id, e.scheduled_start - ${ODDS_LEAD}::interval as observed_at,
           r.metadata -> 'odds' ->> 'hkjc_win' as price
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
      join market.selection s on s.market_id = m.market_id
      join core.runner r on r.runner_id = s.runner_id
     cross join (select source_id from market.source where code = 'hkjc') src
     where e.event_id = any (${sql.array(eventIds)}::bigint[])
       and r.metadata -> 'odds' ->> 'hkjc_win' is not null
       and not exists (select from market.odds_snapshot o
                        where o.selection_id = s.selection_id and o.source_id = src.source_id
                          and o.observed_at = e.scheduled_start - ${ODDS_LEAD}::interval)
     order by e.scheduled_start, s.selection_id`;
  const copied = await copyOddsSnapshots(
    sql,
    rows.map((r) => ({
      observedAt: r.observed_at,
      selectionId: r.selection_id,
      sourceId: r.source_id,
      backPrice: r.price,
      lastTradedPrice: r.price,
    })),
  );
  return copied.rows;
}

/** Win odds, the strategies' bets, settlement and performance over the HKJC races loaded. */
export async function runRaceMeeting(sql: Sql): Promise<RaceMeetingSummary> {
  const ids = await races(sql);
  const snapshots = await recordWinOdds(sql, ids);
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
  const [total] = await sql<{ snapshots: number; bets: number; settled: number }[]>`
    select (select count(*)::int from market.odds_snapshot o
              join market.selection s using (selection_id) join market.market m using (market_id)
             where m.event_id = any (${sql.array(ids)}::bigint[]) and m.market_type = 'race_win') as snapshots,
           count(*)::int as bets, count(*) filter (where b.status in ('settled', 'void'))::int as settled
      from trade.bet b join market.selection s using (selection_id) join market.market m using (market_id)
     where m.event_id = any (${sql.array(ids)}::bigint[])`;
  return {
    races: ids.length,
    snapshots,
    bets: placed?.n ?? 0,
    settled: settled?.n ?? 0,
    totalSnapshots: total?.snapshots ?? 0,
    totalBets: total?.bets ?? 0,
    totalSettled: total?.settled ?? 0,
    performance,
  };
}

export interface RaceDemoSummary extends RaceMeetingSummary {
  /** Runners the load inserted. */
  runners: number;
}

/** The whole race pipeline on one HKJC results file: the feed's load, then the meeting. */
export async function runRaceDemo(sql: Sql, file: string): Promise<RaceDemoSummary> {
  const batch = await loadFile(sql, feeds.hkjc_results!, file);
  return { ...(await runRaceMeeting(sql)), runners: batch.inserted };
}
