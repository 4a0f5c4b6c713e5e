// Feed football_data: football results with bookmaker odds, football-data.co.uk format
// (one file per league and season, e.g. E0 = Premier League 2019-20), of every era: the
// key to the columns is football-data's own (data/README.md).
//
// Row-level validation here: the day-first date (dd/mm/yyyy or dd/mm/yy), the clubs
// (HomeTeam / AwayTeam, HT / AT in early files), the goals and a result (FTR) that agrees
// with them: these are required, and a row without them is rejected. Everything else is
// optional and never costs the match: the kick-off time (UK local), half-time goals,
// match statistics (into metadata->'statistics'), and the decimal 1X2 prices of every
// bookmaker the key lists, of the averages and maxima (Avg / Max since 2019, BbAv / BbMx
// 2005-2019), each also closing (the C columns, B365CH, AvgCH). A value that cannot be
// read (a price of 0) is left out and kept, as written, in metadata->'unreadable'.
// Prices are kept as decimal odds in core.event.metadata->'odds' by source (bet365,
// pinnacle, william_hill, ..., market_average, market_max, each also *_closing; the
// bookmaker_favourite model reads them there), and are kept as historical prices in
// market.odds_history by the merge, one row per match_result selection and source:
// opening prices observed at kick-off - 48 h, closing prices at kick-off - 5 min
// (ingest.keep_football_data_odds; prices already held are left alone, so a re-run keeps
// none more, and the batch's odds_kept says how many this load kept). Real files are ragged (trailing empty fields, lines of commas, a missing
// last field) and older ones Windows-1252: the CSV reader reads both (csv options below).
// The SQL merge (ingest.merge_football_data) does the rest:
// - clubs: a club not yet in core.team is CREATED under its short name ("Man United"):
//   a league's results file is the authority on which clubs play in it; a division code
//   not mapped in ingest.competition_code is rejected (scoreline ingest-map-code maps one);
// - the season is named by the file's first match (2019-08-09 -> 2019-20);
// - matchdays 1..38 are derived from each club's match order (see the function).
import { z } from 'zod';
import {
  dayFirstDate,
  defineFeed,
  inPlausibleYears,
  optionalInt,
  optionalText,
  PRICE_MAX,
  PRICE_MIN,
  rangeText,
  text,
  type BatchRow,
} from './feed.ts';

/**
 * Source code in core.event.metadata->'odds' (and market.source) -> the file's column
 * prefixes for H/D/A, the first present wins. Closing prices are `${source}_closing`
 * from `${prefix}C` (B365CH, AvgCH).
 */
const SOURCES: Record<string, readonly string[]> = {
  bet365: ['B365'],
  bet_and_win: ['BW'],
  blue_square: ['BS'],
  gamebookers: ['GB'],
  interwetten: ['IW'],
  ladbrokes: ['LB'],
  pinnacle: ['PS'],
  sporting_odds: ['SO'],
  sportingbet: ['SB'],
  stan_james: ['SJ'],
  stanleybet: ['SY'],
  vc_bet: ['VC'],
  william_hill: ['WH'],
  market_average: ['Avg', 'BbAv'],
  market_max: ['Max', 'BbMx'],
};

/** Match statistics: the file's home and away columns -> the key in metadata->'statistics'->'home' / 'away'. */
const STATISTICS: Record<string, readonly [string, string]> = {
  shots: ['HS', 'AS'],
  shots_on_target: ['HST', 'AST'],
  hit_woodwork: ['HHW', 'AHW'],
  corners: ['HC', 'AC'],
  fouls: ['HF', 'AF'],
  free_kicks_conceded: ['HFKC', 'AFKC'],
  offsides: ['HO', 'AO'],
  yellow_cards: ['HY', 'AY'],
  red_cards: ['HR', 'AR'],
  booking_points: ['HBP', 'ABP'],
};

/** Columns a file may name either way (early files: HT / AT; some: HG / AG / Res). */
const ALIASES: Record<string, readonly string[]> = {
  HomeTeam: ['HomeTeam', 'HT', 'Home'],
  AwayTeam: ['AwayTeam', 'AT', 'Away'],
  FTHG: ['FTHG', 'HG'],
  FTAG: ['FTAG', 'AG'],
  FTR: ['FTR', 'Res'],
};

const REQUIRED = ['Div', 'Date', 'HomeTeam', 'AwayTeam', 'FTHG', 'FTAG'] as const;

/** Why a header is not football-data's, or null. */
function checkHeader(header: readonly string[]): string | null {
  const missing = REQUIRED.filter((c) => !(ALIASES[c] ?? [c]).some((name) => header.includes(name)));
  if (!missing.length) return null;
  const names = missing.map((c) => (ALIASES[c] ?? [c]).join(' or ')).join(', ');
  return `missing column${missing.length > 1 ? 's' : ''} ${names} (a football-data.co.uk results file starts Div,Date,HomeTeam,AwayTeam,FTHG,FTAG)`;
}

const first = (values: Record<string, unknown>, names: readonly string[]) => {
  for (const n of names) if (typeof values[n] === 'string' && (values[n] as string).trim() !== '') return values[n];
  return '';
};

type Prices = Record<string, { home: number; draw: number; away: number }>;

/** A decimal price (above 1), or null when it is not one (a price of 0, a dash). */
function price(v: string): number | null {
  return /^\d+(\.\d+)?$/.test(v) && Number(v) > 1 ? Number(v) : null;
}

/** Whether a price is one a bookmaker quotes and market.odds_history holds (PRICE_MIN..PRICE_MAX). */
const inRange = (p: number) => p >= PRICE_MIN && p <= PRICE_MAX;

/** The optional parts of a row: prices by source, statistics, and what could not be read. */
function optionalParts(values: Record<string, unknown>) {
  const unreadable: Record<string, string> = {};
  // Numbers that are readable but out of range reject the row (a price of 1000000 is a typo, not a price).
  const outOfRange: string[] = [];
  const get = (c: string) => (typeof values[c] === 'string' ? (values[c] as string).trim() : '');
  const odds: Prices = {};
  for (const [source, prefixes] of Object.entries(SOURCES)) {
    for (const [key, suffix] of [
      [source, ''],
      [`${source}_closing`, 'C'],
    ] as const) {
      for (const prefix of prefixes) {
        const raw = ['H', 'D', 'A'].map((side) => get(`${prefix}${suffix}${side}`));
        if (raw.every((r) => r === '')) continue;
        ['H', 'D', 'A'].forEach((side, i) => {
          const p = price(raw[i]!);
          if (p != null && !inRange(p))
            outOfRange.push(`${prefix}${suffix}${side} ${raw[i]} is out of range ${rangeText(PRICE_MIN, PRICE_MAX)}`);
        });
        const [h, d, a] = raw.map(price);
        if (h != null && d != null && a != null) {
          odds[key] = { home: h, draw: d, away: a };
          break;
        }
        ['H', 'D', 'A'].forEach((side, i) => {
          if (raw[i] !== '' && price(raw[i]!) == null) unreadable[`${prefix}${suffix}${side}`] = raw[i]!;
        });
      }
    }
  }
  const count = (c: string): number | null => {
    const v = get(c);
    if (v === '') return null;
    if (/^\d{1,6}$/.test(v)) return Number(v);
    unreadable[c] = v;
    return null;
  };
  const home: Record<string, number> = {};
  const away: Record<string, number> = {};
  for (const [key, [h, a]] of Object.entries(STATISTICS)) {
    const hv = count(h);
    const av = count(a);
    if (hv != null) home[key] = hv;
    if (av != null) away[key] = av;
  }
  const statistics: Record<string, unknown> = {};
  const attendance = count('Attendance');
  if (attendance != null) statistics.attendance = attendance;
  if (Object.keys(home).length) statistics.home = home;
  if (Object.keys(away).length) statistics.away = away;
  const halfTime = ['HTHG', 'HTAG'].map((c) => {
    const v = get(c);
    if (v === '') return null;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    unreadable[c] = v;
    return null;
  });
  const time = get('Time');
  const kickoff = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(time) ? time : null;
  if (time && !kickoff) unreadable.Time = time;
  return { odds, statistics, halfTime, kickoff, unreadable, outOfRange };
}

const goals = optionalInt(0, 99);

const schema = z
  .looseObject({
    Div: text,
    Date: inPlausibleYears(dayFirstDate, 1871, 'football'), // the first FA Cup
    HomeTeam: text,
    AwayTeam: text,
    FTHG: goals,
    FTAG: goals,
    FTR: z.preprocess((v) => (v === '' ? null : v), z.enum(['H', 'D', 'A'], 'is not a result (H, D or A)').nullish()),
    Referee: optionalText,
  })
  .superRefine((row, ctx) => {
    if (row.HomeTeam === row.AwayTeam) ctx.addIssue({ code: 'custom', path: ['AwayTeam'], message: 'is the home team too' });
    const home = row.FTHG;
    const away = row.FTAG;
    if ((home === null) !== (away === null)) {
      ctx.addIssue({ code: 'custom', path: ['FTHG'], message: 'a played match has both FTHG and FTAG, an unplayed one neither' });
    } else if (home !== null && away !== null && row.FTR) {
      const result = home > away ? 'H' : home < away ? 'A' : 'D';
      if (row.FTR !== result) ctx.addIssue({ code: 'custom', path: ['FTR'], message: `does not agree with the score ${home}-${away}` });
    }
  })
  .transform((row, ctx) => {
    const parts = optionalParts(row);
    if (parts.outOfRange.length) {
      ctx.addIssue({ code: 'custom', message: parts.outOfRange.join('; ') });
      return z.NEVER;
    }
    return {
      division: row.Div,
      match_date: row.Date,
      kickoff: parts.kickoff,
      home_team: row.HomeTeam,
      away_team: row.AwayTeam,
      home_goals: row.FTHG,
      away_goals: row.FTAG,
      half_time_home_goals: parts.halfTime[0] ?? null,
      half_time_away_goals: parts.halfTime[1] ?? null,
      referee: row.Referee,
      odds: parts.odds,
      statistics: Object.keys(parts.unreadable).length ? { ...parts.statistics, unreadable: parts.unreadable } : parts.statistics,
    };
  });

/** A record with the columns of other eras under the names the schema reads. */
function normalise(record: Record<string, unknown>): Record<string, unknown> {
  const out = { ...record };
  for (const [name, names] of Object.entries(ALIASES)) out[name] = first(record, names);
  return out;
}

const feed = defineFeed({
  code: 'football_data',
  description: 'Football results with bookmaker odds (football-data.co.uk)',
  format: 'csv',
  requiredColumns: REQUIRED,
  checkHeader,
  csv: { ragged: true, windows1252Fallback: true },
  stagingTable: 'ingest.stage_football_data',
  schema,
  columns: [
    'division',
    'match_date',
    'kickoff',
    'home_team',
    'away_team',
    'home_goals',
    'away_goals',
    'half_time_home_goals',
    'half_time_away_goals',
    'referee',
    'odds',
    'statistics',
  ],
  chunkable: false,
  async merge(tx, batchId, final) {
    // the prices go into market.odds_history inside the merge (ingest.keep_football_data_odds)
    const [batch] = await tx<BatchRow[]>`select * from ingest.merge_football_data(${batchId}, ${final})`;
    return batch!;
  },
});

export const footballData = { ...feed, parse: (record: Record<string, unknown>) => feed.parse(normalise(record)) };
