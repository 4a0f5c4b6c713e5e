// The race domain end to end on a Hong Kong Jockey Club results file: races as core.event
// (kind race), runners, a race_win market with a selection per runner, the win odds as odds
// snapshots (through the COPY path), three strategies betting, settlement and strategy
// performance. Every step is idempotent: loading the same file again changes nothing.
import fs from 'node:fs/promises';
import { z } from 'zod';
import type { Sql } from '../db.ts';
import { copyOddsSnapshots, type OddsSnapshot } from './odds-copy.ts';

/** Minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF; a leading BOM is dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const VENUES: Record<string, string> = { 沙田: 'ST', 跑馬地: 'HV' };
const decimal = z.string().regex(/^\d+(\.\d+)?$/);

/** One line of the HKJC results file, as this loader needs it. */
export const hkjcResultRow = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  venue: z.string().refine((v) => v in VENUES, { message: 'unknown venue' }),
  race_no: z.coerce.number().int().positive(),
  race_meeting_no: z.string(),
  race_name: z.string(),
  race_class: z.string(),
  distance_m: z
    .string()
    .regex(/^\d*$/)
    .transform((v) => (v ? Number(v) : null)), // empty for some cup races
  rating_range: z.string(),
  going: z.string(),
  course: z.string(),
  prize_hkd: z.string(),
  place: z.string(),
  horse_no: z.coerce.number().int().positive(),
  horse_name: z.string().min(1),
  jockey: z.string(),
  trainer: z.string(),
  actual_wt_lbs: decimal,
  declared_wt_lbs: z.string(),
  draw: z.coerce.number().int().positive(),
  lbw: z.string(),
  running_position: z.string(),
  finish_time: z.string(),
  win_odds: decimal,
});
export type HkjcResultRow = z.infer<typeof hkjcResultRow>;

export interface RaceEvent {
  eventId: string;
  externalId: string;
  scheduledStart: Date;
}

export interface RaceMeeting {
  races: RaceEvent[];
  runners: number;
  snapshots: number;
  rows: HkjcResultRow[];
}

/** The Hong Kong season a date belongs to: September to July, e.g. 2024-01-01 is 2023-24. */
export function hkSeason(date: string): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const first = m >= 9 ? y : y - 1;
  return `${first}-${String((first + 1) % 100).padStart(2, '0')}`;
}

export function raceExternalId(r: HkjcResultRow): string {
  return `hkjc_${r.date.replaceAll('-', '')}_${VENUES[r.venue]}_R${r.race_no}`;
}

/**
 * The file gives no post times: races are put at 12:30 Hong Kong time plus 30 minutes per
 * race number (event metadata start_time_estimated = true).
 */
export function estimatedStart(r: HkjcResultRow): Date {
  return new Date(Date.parse(`${r.date}T12:30:00+08:00`) + (r.race_no - 1) * 30 * 60_000);
}

/** When the file's (final) win odds are recorded as a snapshot: 10 minutes before the start. */
export const ODDS_LEAD_MS = 10 * 60_000;
/** When the demo strategies bet: 5 minutes before the start. */
export const BET_LEAD_MS = 5 * 60_000;

export async function readHkjcResults(file: string): Promise<HkjcResultRow[]> {
  const [header, ...lines] = parseCsv(await fs.readFile(file, 'utf8'));
  if (!header) throw new Error(`${file}: empty file`);
  return lines.map((cells, i) => {
    const parsed = hkjcResultRow.safeParse(Object.fromEntries(header.map((h, j) => [h, cells[j] ?? ''])));
    if (!parsed.success) {
      throw new Error(`${file} line ${i + 2}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    }
    return parsed.data;
  });
}

/** Loads a meeting: races, runners, race_win markets and selections, win odds as snapshots. */
export async function loadRaceMeeting(sql: Sql, file: string): Promise<RaceMeeting> {
  const rows = await readHkjcResults(file);
  if (rows.length === 0) return { races: [], runners: 0, snapshots: 0, rows };
  const seasons = [...new Set(rows.map((r) => hkSeason(r.date)))];
  await sql`insert into core.sport (code, name) values ('horse_racing', 'Horse racing') on conflict (code) do nothing`;
  await sql`
    insert into core.competition (sport_id, code, name, country)
    select sport_id, 'hkjc', 'Hong Kong Jockey Club racing (Sha Tin, Happy Valley)', 'HK' from core.sport where code = 'horse_racing'
    on conflict (code) do nothing`;
  await sql`
    insert into core.season (competition_id, label)
    select c.competition_id, l from core.competition c, unnest(${sql.array(seasons)}::text[]) l where c.code = 'hkjc'
    on conflict (competition_id, label) do nothing`;

  const races = new Map<string, HkjcResultRow>();
  for (const r of rows) if (!races.has(raceExternalId(r))) races.set(raceExternalId(r), r);
  const raceJson = [...races.entries()].map(([externalId, r]) => ({
    external_id: externalId,
    season: hkSeason(r.date),
    round: String(r.race_no),
    name: r.race_name,
    scheduled_start: estimatedStart(r).toISOString(),
    metadata: {
      venue: r.venue,
      meeting_no: r.race_meeting_no,
      race_class: r.race_class,
      distance_m: r.distance_m,
      rating_range: r.rating_range,
      going: r.going,
      course: r.course,
      prize_hkd: r.prize_hkd,
      start_time_estimated: true,
    },
  }));
  await sql`
    insert into core.event (external_id, kind, competition_id, season_id, round, name, scheduled_start, venue, metadata)
    select j.external_id, 'race', c.competition_id, s.season_id, j.round, j.name, j.scheduled_start, j.metadata ->> 'venue', j.metadata
      from jsonb_to_recordset(${JSON.stringify(raceJson)}::text::jsonb)
           as j(external_id text, season text, round text, name text, scheduled_start timestamptz, metadata jsonb)
      join core.competition c on c.code = 'hkjc'
      join core.season s on s.competition_id = c.competition_id and s.label = j.season
    on conflict (external_id) do nothing`;
  const events = await sql<{ event_id: string; external_id: string; scheduled_start: Date }[]>`
    select event_id, external_id, scheduled_start from core.event
     where external_id = any (${sql.array([...races.keys()])}::text[]) order by scheduled_start`;

  const runnerJson = rows.map((r) => {
    const code = /\(([A-Z]\d+)\)\s*$/.exec(r.horse_name);
    return {
      race: raceExternalId(r),
      number: r.horse_no,
      draw: r.draw,
      name: r.horse_name.replace(/\s*\([A-Z]\d+\)\s*$/, ''),
      external_id: code?.[1] ?? null,
      jockey: r.jockey,
      trainer: r.trainer,
      weight: r.actual_wt_lbs,
      metadata: { declared_wt_lbs: r.declared_wt_lbs, lbw: r.lbw, running_position: r.running_position, place: r.place },
    };
  });
  const runners = await sql`
    insert into core.runner (event_id, number, draw, name, external_id, jockey, trainer, weight, metadata)
    select e.event_id, j.number, j.draw, j.name, j.external_id, j.jockey, j.trainer, j.weight, j.metadata
      from jsonb_to_recordset(${JSON.stringify(runnerJson)}::text::jsonb)
           as j(race text, number smallint, draw smallint, name text, external_id text, jockey text, trainer text, weight numeric, metadata jsonb)
      join core.event e on e.external_id = j.race
    on conflict (event_id, number) do nothing`;
  await sql`
    insert into market.market (event_id, market_type)
    select event_id, 'race_win' from core.event where external_id = any (${sql.array([...races.keys()])}::text[])
    on conflict (event_id, market_type) do nothing`;
  await sql`
    insert into market.selection (market_id, code, label, runner_id)
    select m.market_id, r.number::text, r.name, r.runner_id
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
      join core.runner r on r.event_id = e.event_id
     where e.external_id = any (${sql.array([...races.keys()])}::text[])
    on conflict (market_id, code) do nothing`;

  // the win odds, once per runner, unless already loaded
  const selections = await sql<{ race: string; number: string; selection_id: string; source_id: number; loaded: boolean }[]>`
    select e.external_id as race, s.code as number, s.selection_id, src.source_id,
           exists (select from market.odds_snapshot o
                    where o.selection_id = s.selection_id and o.source_id = src.source_id
                      and o.observed_at = e.scheduled_start - ${ODDS_LEAD_MS / 1000} * interval '1 second') as loaded
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
      join market.selection s on s.market_id = m.market_id
      cross join (select source_id from market.source where code = 'hkjc') src
     where e.external_id = any (${sql.array([...races.keys()])}::text[])`;
  const bySelection = new Map(selections.map((s) => [`${s.race}|${s.number}`, s]));
  const snapshots: OddsSnapshot[] = [];
  for (const r of rows) {
    const s = bySelection.get(`${raceExternalId(r)}|${r.horse_no}`);
    if (!s || s.loaded) continue;
    snapshots.push({
      observedAt: new Date(estimatedStart(r).getTime() - ODDS_LEAD_MS),
      selectionId: s.selection_id,
      sourceId: s.source_id,
      backPrice: r.win_odds,
      lastTradedPrice: r.win_odds,
    });
  }
  const copied = await copyOddsSnapshots(sql, snapshots);
  return {
    races: events.map((e) => ({ eventId: e.event_id, externalId: e.external_id, scheduledStart: e.scheduled_start })),
    runners: runners.count,
    snapshots: copied.rows,
    rows,
  };
}

/** The demo strategies: their parameters are data, their rules are the SQL in placeRaceBets. */
export const DEMO_STRATEGIES = [
  { name: 'favourite_back', version: '1', source: 'hkjc', parameters: { rule: 'back the shortest-priced runner', stake: 10 } },
  {
    name: 'value_back',
    version: '1',
    source: 'hkjc',
    parameters: { rule: 'back every runner priced 5 to 10', min_odds: 5, max_odds: 10, stake: 5 },
  },
  { name: 'favourite_lay', version: '1', source: 'betfair', parameters: { rule: 'lay the shortest-priced runner', stake: 10 } },
] as const;

/** The demo strategies bet on the meeting's races, 5 minutes before each start, at the snapshot odds. Returns bets placed. */
export async function placeRaceBets(sql: Sql, meeting: RaceMeeting): Promise<number> {
  if (meeting.races.length === 0) return 0;
  const starts = meeting.races.map((r) => r.scheduledStart.getTime());
  await sql`select maint.ensure_partitions('trade.bet'::regclass, ${new Date(Math.min(...starts) - BET_LEAD_MS)}, ${new Date(Math.max(...starts))})`;
  await sql`
    insert into trade.strategy (name, version, parameters, active)
    select j.name, j.version, j.parameters, true
      from jsonb_to_recordset(${JSON.stringify(DEMO_STRATEGIES)}::text::jsonb) as j(name text, version text, parameters jsonb)
    on conflict (name, version) do nothing`;
  const placed = await sql`
    with price as (
      select e.event_id, e.scheduled_start, s.selection_id, o.last_traded_price as odds,
             row_number() over (partition by e.event_id order by o.last_traded_price, s.code::int) as price_rank
        from core.event e
        join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
        join market.selection s on s.market_id = m.market_id
        join market.odds_snapshot o on o.selection_id = s.selection_id
                                   and o.source_id = (select source_id from market.source where code = 'hkjc')
                                   and o.observed_at = e.scheduled_start - ${ODDS_LEAD_MS / 1000} * interval '1 second'
       where e.event_id = any (${sql.array(meeting.races.map((r) => r.eventId))}::bigint[])
    ), strategy as (
      select st.strategy_id, st.name, st.parameters, src.source_id
        from jsonb_to_recordset(${JSON.stringify(DEMO_STRATEGIES)}::text::jsonb) as j(name text, version text, source text)
        join trade.strategy st on st.name = j.name and st.version = j.version
        join market.source src on src.code = j.source
    ), wanted as (
      select st.strategy_id, st.source_id, p.selection_id, p.odds,
             case when st.name = 'favourite_lay' then 'lay' else 'back' end as side,
             (st.parameters ->> 'stake')::numeric as stake,
             p.scheduled_start - ${BET_LEAD_MS / 1000} * interval '1 second' as placed_at,
             format('demo:%s:%s', st.name, p.selection_id) as ref
        from price p
        join strategy st on case st.name
                              when 'value_back' then p.odds between (st.parameters ->> 'min_odds')::numeric and (st.parameters ->> 'max_odds')::numeric
                              else p.price_rank = 1 end
    )
    insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at, external_ref)
    select w.strategy_id, w.selection_id, w.source_id, w.side, w.odds, w.stake, 'matched', w.placed_at, w.ref
      from wanted w
     where not exists (select from trade.bet b where b.external_ref = w.ref and b.placed_at = w.placed_at)`;
  return placed.count;
}

/**
 * Runs the races: finishing positions from the file (a dead heat shares the place, PU did
 * not finish), the events completed, the markets settled by market.settle_event, then the
 * bets by trade.settle_bets. Returns bets settled.
 */
export async function settleRaceMeeting(sql: Sql, meeting: RaceMeeting): Promise<number> {
  if (meeting.races.length === 0) return 0;
  const results = meeting.rows.map((r) => {
    const place = /^(\d+)/.exec(r.place);
    const time = /^(\d+):(\d+(\.\d+)?)$/.exec(r.finish_time);
    return {
      race: raceExternalId(r),
      number: r.horse_no,
      position: place ? Number(place[1]) : null,
      finish_time: time ? `00:${time[1]!.padStart(2, '0')}:${time[2]}` : null,
    };
  });
  await sql`
    update core.runner r
       set status = case when j.position is null then 'did_not_finish' else 'finished' end,
           finish_position = j.position,
           finish_time = j.finish_time
      from jsonb_to_recordset(${JSON.stringify(results)}::text::jsonb) as j(race text, number smallint, position smallint, finish_time interval),
           core.event e
     where e.external_id = j.race and r.event_id = e.event_id and r.number = j.number
       and e.status = 'scheduled'`;
  const ids = sql.array(meeting.races.map((r) => r.eventId));
  await sql`update core.event set status = 'completed' where event_id = any (${ids}::bigint[]) and status = 'scheduled'`;
  await sql`select market.settle_event(event_id) from core.event where event_id = any (${ids}::bigint[]) order by event_id`;
  const [settled] = await sql<{ n: number }[]>`
    select coalesce(sum(trade.settle_bets(event_id)), 0)::int as n from core.event where event_id = any (${ids}::bigint[])`;
  return settled?.n ?? 0;
}

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

export interface RaceDemoSummary {
  races: number;
  runners: number;
  snapshots: number;
  bets: number;
  settled: number;
  performance: StrategyDay[];
}

/** The whole race pipeline on one file, for `make demo`: load, bet, settle, refresh performance. */
export async function runRaceDemo(sql: Sql, file: string): Promise<RaceDemoSummary> {
  const meeting = await loadRaceMeeting(sql, file);
  const bets = await placeRaceBets(sql, meeting);
  const settled = await settleRaceMeeting(sql, meeting);
  await sql`select trade.refresh_strategy_performance()`;
  const days = [...new Set(meeting.rows.map((r) => r.date))];
  const performance = await sql<StrategyDay[]>`
    select st.name as strategy, d.day::text, d.bets, d.won, d.lost, d.stake::text, d.pnl::text,
           d.roi::text, d.win_rate::text, d.profit_factor::text
      from stats.strategy_performance_daily d
      join trade.strategy st using (strategy_id)
     where d.day = any (${sql.array(days)}::date[])
       and st.name = any (${sql.array(DEMO_STRATEGIES.map((s) => s.name))}::text[])
     order by st.name, d.day`;
  return { races: meeting.races.length, runners: meeting.runners, snapshots: meeting.snapshots, bets, settled, performance };
}
