// Fixtures for the trading time-series tests: a race with runners, a race_win market
// with one selection per runner. Inserted through plain SQL, as an application would.
import type { Sql } from '../../src/db.ts';

export interface RaceFixture {
  eventId: string;
  marketId: string;
  /** selection ids by runner number, 1..n */
  selections: string[];
  runners: string[];
}

let counter = 0;

/** A race (core.event kind race) with `runners` runners and a race_win market. */
export async function makeRace(sql: Sql, opts: { runners?: number; start?: string; code?: string } = {}): Promise<RaceFixture> {
  const n = opts.runners ?? 4;
  const code = opts.code ?? `r${process.pid}_${++counter}`;
  await sql`insert into core.sport (code, name) values ('horse_racing', 'Horse racing') on conflict (code) do nothing`;
  await sql`
    insert into core.competition (sport_id, code, name)
    select sport_id, 'test_races', 'Test races' from core.sport where code = 'horse_racing'
    on conflict (code) do nothing`;
  await sql`
    insert into core.season (competition_id, label)
    select competition_id, '2024' from core.competition where code = 'test_races'
    on conflict (competition_id, label) do nothing`;
  const [ev] = await sql<{ event_id: string }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, scheduled_start, name)
    select ${code}, 'race', s.competition_id, s.season_id, ${opts.start ?? '2024-01-01T05:00:00Z'}::timestamptz, ${code}
      from core.season s join core.competition c using (competition_id)
     where c.code = 'test_races' and s.label = '2024'
    returning event_id`;
  const eventId = ev!.event_id;
  const runners = await sql<{ runner_id: string }[]>`
    insert into core.runner (event_id, number, name)
    select ${eventId}, g, 'Runner ' || g from generate_series(1, ${n}::int) g
    returning runner_id`;
  const [mk] = await sql<{ market_id: string }[]>`
    insert into market.market (event_id, market_type) values (${eventId}, 'race_win') returning market_id`;
  const marketId = mk!.market_id;
  const sels = await sql<{ selection_id: string }[]>`
    insert into market.selection (market_id, code, label, runner_id)
    select ${marketId}, r.number::text, r.name, r.runner_id from core.runner r where r.event_id = ${eventId} order by r.number
    returning selection_id`;
  return {
    eventId,
    marketId,
    selections: sels.map((s) => s.selection_id),
    runners: runners.map((r) => r.runner_id),
  };
}

/** The source id of a source code (betfair, hkjc, ...). */
export async function sourceId(sql: Sql, code: string): Promise<number> {
  const [row] = await sql<{ source_id: number }[]>`select source_id from market.source where code = ${code}`;
  if (!row) throw new Error(`no source ${code}`);
  return row.source_id;
}
