// An independent recomputation of the statistics views, written in TypeScript from the
// raw rows (events, markets, selections, predictions): outcomes from the scores, rarity
// points, units, Brier and log loss, then every aggregate of every view, compared row by
// row with what PostgreSQL computed. Plus a generator of fixture data to feed it.
import type { Test } from 'tap';
import type { Sql } from '../../src/db.ts';

/** Builds two competitions x two seasons (one current) of matches, models and users, and their predictions. */
export async function generate(sql: Sql, seed = 0.42): Promise<void> {
  await sql`select setseed(${seed})`;
  await sql`insert into core.sport (code, name) values ('gen_sport', 'Generated')`;
  await sql`insert into core.competition (sport_id, code, name)
            select sport_id, 'gen_' || c, 'Generated ' || c from core.sport, generate_series(1, 2) c where code = 'gen_sport'`;
  await sql`insert into core.season (competition_id, label, is_current)
            select competition_id, y::text, y = 2024 from core.competition, generate_series(2023, 2024) y where code like 'gen_%'`;
  await sql`insert into core.week (season_id, week_number, label)
            select s.season_id, w, 'Week ' || w from core.season s join core.competition c using (competition_id), generate_series(1, 5) w
             where c.code like 'gen_%'`;
  await sql`insert into core.team (sport_id, code, name)
            select sport_id, 'G' || n, 'Gen ' || n from core.sport, generate_series(1, 8) n where code = 'gen_sport'`;
  // 5 weeks x 4 matches per season; teams drawn at random
  await sql`
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    select 'gen_' || s.season_id || '_' || w || '_' || g, 'match', s.competition_id, s.season_id, w,
           make_timestamptz(s.label::int, 3, w, 15, 0, 0, 'UTC'), pair.home, pair.away
      from core.season s join core.competition c using (competition_id)
     cross join generate_series(1, 5) w cross join generate_series(1, 4) g
     cross join lateral (select (array_agg(t.team_id order by random() + g * 0 + w * 0))[1:2] as teams
                           from core.team t join core.sport sp using (sport_id) where sp.code = 'gen_sport') tt
     cross join lateral (select tt.teams[1] as home, tt.teams[2] as away) pair
     where c.code like 'gen_%'`;
  await sql`insert into market.market (event_id, market_type) select event_id, mt from core.event, unnest(array['match_result', 'correct_score']) mt
             where external_id like 'gen_%'`;
  await sql`insert into market.selection (market_id, code, label)
            select m.market_id, c, c from market.market m, unnest(array['home', 'draw', 'away']) c where m.market_type = 'match_result'`;
  await sql`insert into market.selection (market_id, code, label)
            select m.market_id, c, c from market.market m,
                   unnest(array['0-0', '1-0', '0-1', '1-1', '2-1', '1-2', '2-0', '0-2', 'other']) c where m.market_type = 'correct_score'`;
  await sql`insert into forecast.forecaster (kind, name, version, model_type)
            select 'model', 'gen_model_' || n, '1', 'random' from generate_series(1, 12) n`;
  await sql`insert into forecast.forecaster (kind, name, handle) select 'user', 'Gen user ' || n, 'genuser' || n from generate_series(1, 6) n`;
  // each forecaster predicts about 75% of the markets: a random selection, random odds, stake and (mostly) a probability
  await sql`
    insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability, predicted_at)
    select f.forecaster_id, pick.selection_id,
           case when random() < 0.9 then round((1.2 + random() * 5)::numeric, 2) end,
           (1 + floor(random() * 3))::numeric,
           case when random() < 0.8 then round((0.01 + random() * 0.98)::numeric, 2) end,
           e.scheduled_start - interval '1 day'
      from forecast.forecaster f
     cross join market.market m
      join core.event e on e.event_id = m.event_id and e.external_id like 'gen_%'
     cross join lateral (select s.selection_id from market.selection s where s.market_id = m.market_id and f.forecaster_id > 0
                          order by random() limit 1) pick
     where random() < 0.75 and f.name like 'gen%'`;
  // results: most completed, one in ten abandoned, weeks 5 of 2024 still to play
  await sql`update core.event set status = 'in_progress', home_score = 0, away_score = 0
             where external_id like 'gen_%' and not (week_number = 5 and scheduled_start > '2024-01-01')`;
  await sql`update core.event set status = case when random() < 0.1 then 'abandoned' else 'completed' end,
                   home_score = floor(random() * 4), away_score = floor(random() * 4)
             where status = 'in_progress' and external_id like 'gen_%'`;
}

/**
 * Picks for the generated users (generate() makes them without any): each picks about
 * two thirds of the match_result markets, a random selection, a day before the start.
 * Call it after generate() and before scoring.
 */
export async function generateUserPicks(sql: Sql, seed = 0.17): Promise<number> {
  await sql`select setseed(${seed})`;
  const rows = await sql`
    insert into forecast.prediction (forecaster_id, selection_id, odds, stake, predicted_at)
    select f.forecaster_id, pick.selection_id, round((1.5 + random() * 3)::numeric, 2), 1, e.scheduled_start - interval '1 day'
      from forecast.forecaster f
     cross join market.market m
      join core.event e on e.event_id = m.event_id and e.external_id like 'gen_%'
     cross join lateral (select s.selection_id from market.selection s where s.market_id = m.market_id and f.forecaster_id > 0
                          order by random() limit 1) pick
     where f.kind = 'user' and f.handle like 'genuser%' and m.market_type = 'match_result' and random() < 0.67`;
  return rows.count;
}

export async function scoreAll(sql: Sql): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select coalesce(sum(forecast.score_event(event_id)), 0)::int as n from core.event where status in ('completed', 'abandoned', 'cancelled')`;
  return r!.n;
}

// ---- the independent recomputation ----

interface Raw {
  events: Map<
    number,
    { comp: number; season: number; current: boolean; label: string; home: number; away: number; status: string; hs: number; as: number }
  >;
  markets: Map<number, { event: number; type: string }>;
  selections: Map<number, { market: number; code: string }>;
  forecasters: Map<number, { kind: string; handle: string | null }>;
  predictions: { id: number; f: number; sel: number; odds: number | null; stake: number; p: number | null }[];
}

async function raw(sql: Sql): Promise<Raw> {
  const events = new Map<number, Raw['events'] extends Map<number, infer V> ? V : never>();
  for (const e of await sql<
    {
      event_id: string;
      competition_id: number;
      season_id: number;
      is_current: boolean;
      label: string;
      home_team_id: number;
      away_team_id: number;
      status: string;
      home_score: number | null;
      away_score: number | null;
    }[]
  >`select e.event_id, e.competition_id, e.season_id, s.is_current, s.label, e.home_team_id, e.away_team_id, e.status, e.home_score, e.away_score
      from core.event e join core.season s using (season_id)`) {
    events.set(Number(e.event_id), {
      comp: e.competition_id,
      season: e.season_id,
      current: e.is_current,
      label: e.label,
      home: e.home_team_id,
      away: e.away_team_id,
      status: e.status,
      hs: e.home_score ?? -1,
      as: e.away_score ?? -1,
    });
  }
  const markets = new Map<number, { event: number; type: string }>();
  for (const m of await sql<
    { market_id: string; event_id: string; market_type: string }[]
  >`select market_id, event_id, market_type from market.market`) {
    markets.set(Number(m.market_id), { event: Number(m.event_id), type: m.market_type });
  }
  const selections = new Map<number, { market: number; code: string }>();
  for (const s of await sql<
    { selection_id: string; market_id: string; code: string }[]
  >`select selection_id, market_id, code from market.selection`) {
    selections.set(Number(s.selection_id), { market: Number(s.market_id), code: s.code });
  }
  const forecasters = new Map<number, { kind: string; handle: string | null }>();
  for (const f of await sql<
    { forecaster_id: string; kind: string; handle: string | null }[]
  >`select forecaster_id, kind, handle from forecast.forecaster`) {
    forecasters.set(Number(f.forecaster_id), { kind: f.kind, handle: f.handle });
  }
  const predictions = (
    await sql<
      {
        prediction_id: string;
        forecaster_id: string;
        selection_id: string;
        odds: string | null;
        stake: string;
        probability: string | null;
      }[]
    >`
      select prediction_id, forecaster_id, selection_id, odds, stake, probability from forecast.prediction`
  ).map((p) => ({
    id: Number(p.prediction_id),
    f: Number(p.forecaster_id),
    sel: Number(p.selection_id),
    odds: p.odds === null ? null : Number(p.odds),
    stake: Number(p.stake),
    p: p.probability === null ? null : Number(p.probability),
  }));
  return { events, markets, selections, forecasters, predictions };
}

interface Scored {
  f: number;
  event: number;
  outcome: 'win' | 'loss' | 'void';
  points: number;
  units: number | null;
  staked: number;
  p: number | null;
  brier: number | null;
  logLoss: number | null;
}

/**
 * Log loss, the probability of the outcome q (p for a win, 1 - p for a loss) clipped to
 * [eps, 1 - eps]: -ln q, or -ln(1 - r) from r = 1 - q when q > 1/2, so that neither side
 * subtracts from 1 a number already rounded (1 - p is exact for p in [1/2, 1]).
 */
export function logLoss(p: number, won: boolean, eps: number): number {
  const q = won ? p : 1 - p;
  const r = won ? 1 - p : p;
  return q <= 0.5 ? -Math.log(Math.max(eps, q)) : -Math.log1p(-Math.max(eps, r));
}

/** Scores with the default rule: 2 + round(4 * (1 - share)) for a win, by exact integer arithmetic. */
function recompute(r: Raw): Scored[] {
  const pickers = new Map<number, Set<number>>(); // market -> forecasters
  const onSelection = new Map<number, number>();
  for (const p of r.predictions) {
    const m = r.selections.get(p.sel)!.market;
    if (!pickers.has(m)) pickers.set(m, new Set());
    pickers.get(m)!.add(p.f);
    onSelection.set(p.sel, (onSelection.get(p.sel) ?? 0) + 1);
  }
  const codesOf = new Map<number, Set<string>>();
  for (const s of r.selections.values()) {
    if (!codesOf.has(s.market)) codesOf.set(s.market, new Set());
    codesOf.get(s.market)!.add(s.code);
  }
  const out: Scored[] = [];
  const eps = 1e-15;
  for (const p of r.predictions) {
    const s = r.selections.get(p.sel)!;
    const m = r.markets.get(s.market)!;
    const e = r.events.get(m.event)!;
    let outcome: Scored['outcome'];
    if (e.status === 'abandoned' || e.status === 'cancelled') outcome = 'void';
    else if (e.status !== 'completed') continue;
    else if (m.type === 'match_result') {
      const want = e.hs > e.as ? 'home' : e.hs === e.as ? 'draw' : 'away';
      outcome = s.code === want ? 'win' : 'loss';
    } else {
      const score = `${e.hs}-${e.as}`;
      const won = s.code === score || (s.code === 'other' && !codesOf.get(s.market)!.has(score));
      outcome = won ? 'win' : 'loss';
    }
    const total = pickers.get(s.market)!.size;
    const n = onSelection.get(p.sel)!;
    // round(4 * (total - n) / total), halves away from zero, in integers
    const bonus = Math.floor((8 * (total - n) + total) / (2 * total));
    const points = outcome === 'win' ? 2 + bonus : 0;
    const units = p.odds === null ? null : outcome === 'win' ? p.stake * (p.odds - 1) : outcome === 'loss' ? -p.stake : 0;
    const staked = p.odds !== null && outcome !== 'void' ? p.stake : 0;
    const o = outcome === 'win' ? 1 : 0;
    out.push({
      f: p.f,
      event: m.event,
      outcome,
      points,
      units,
      staked,
      p: outcome === 'void' ? null : p.p,
      brier: p.p === null || outcome === 'void' ? null : (p.p - o) ** 2,
      logLoss: p.p === null || outcome === 'void' ? null : logLoss(p.p, o === 1, eps),
    });
  }
  return out;
}

interface Agg {
  events: Set<number>;
  points: number;
  win: number;
  loss: number;
  void: number;
  units: number | null;
  staked: number;
  stakedWithUnits: number;
}

function aggregate(rows: Scored[], key: (s: Scored) => string[] | null): Map<string, Agg> {
  const out = new Map<string, Agg>();
  for (const s of rows) {
    for (const k of key(s) ?? []) {
      let a = out.get(k);
      if (!a) out.set(k, (a = { events: new Set(), points: 0, win: 0, loss: 0, void: 0, units: null, staked: 0, stakedWithUnits: 0 }));
      a.events.add(s.event);
      a.points += s.points;
      a[s.outcome] += 1;
      if (s.units !== null) {
        a.units = (a.units ?? 0) + s.units;
        a.stakedWithUnits += s.staked;
      }
      a.staked += s.staked;
    }
  }
  return out;
}

const close = (a: unknown, b: number | null): boolean =>
  (a === null && b === null) || (a !== null && b !== null && Math.abs(Number(a) - b) < 1e-9 * Math.max(1, Math.abs(b)));

interface ViewRow {
  total_matches: number;
  total_points: string;
  avg_points: string;
  win_rate: string | null;
  avg_points_exact: string;
  win_rate_exact: string | null;
  win_count: number;
  draw_count: number;
  loss_count: number;
  total_units: string | null;
}

function sameStats(t: Tap, label: string, rows: (ViewRow & { key: string })[], expected: Map<string, Agg>): void {
  const problems: string[] = [];
  if (rows.length !== expected.size) problems.push(`${rows.length} rows, expected ${expected.size}`);
  for (const row of rows) {
    const a = expected.get(row.key);
    if (!a) {
      problems.push(`unexpected row ${row.key}`);
      continue;
    }
    const n = a.events.size;
    const checks: [string, unknown, number | null][] = [
      ['total_matches', row.total_matches, n],
      ['total_points', row.total_points, a.points],
      ['avg_points_exact', row.avg_points_exact, a.points / n],
      ['win_rate_exact', row.win_rate_exact, a.win + a.loss ? a.win / (a.win + a.loss) : null],
      ['win_count', row.win_count, a.win],
      ['draw_count', row.draw_count, a.void],
      ['loss_count', row.loss_count, a.loss],
      ['total_units', row.total_units, a.units],
    ];
    for (const [col, got, want] of checks) if (!close(got, want)) problems.push(`${row.key} ${col}: ${String(got)} != ${want}`);
    // what people read: the same, rounded to 4 decimals
    for (const [col, got, exact] of [
      ['avg_points', row.avg_points, row.avg_points_exact],
      ['win_rate', row.win_rate, row.win_rate_exact],
    ] as const) {
      const ok =
        exact === null
          ? got === null
          : got !== null && /^-?\d+\.\d{4}$/.test(got) && Math.abs(Number(got) - Number(exact)) <= 0.00005 + 1e-12;
      if (!ok) problems.push(`${row.key} ${col}: ${String(got)} is not ${String(exact)} rounded to 4 decimals`);
    }
  }
  t.same(problems.slice(0, 10), [], `${label}: ${rows.length} rows equal the recomputation`);
}

type Tap = Test;

/** Refresh the materialized statistics (the model stats are plain views, current as scoring commits). */
export async function refreshAll(sql: Sql, concurrently: boolean): Promise<void> {
  for (const v of ['user_leaderboard', 'model_calibration']) {
    await sql.unsafe(`refresh materialized view ${concurrently ? 'concurrently ' : ''}stats.${v}`);
  }
}

export async function compareAll(t: Tap, sql: Sql): Promise<void> {
  const r = await raw(sql);
  const scored = recompute(r);
  const models = scored.filter((s) => r.forecasters.get(s.f)!.kind === 'model');

  const overall = aggregate(models, (s) => (r.events.get(s.event)!.current ? [String(s.f)] : null));
  sameStats(
    t,
    'mv_model_stats_overall',
    await sql<(ViewRow & { key: string })[]>`
    select model_id::text as key, * from stats.mv_model_stats_overall`,
    overall,
  );

  const comp = aggregate(models, (s) => {
    const e = r.events.get(s.event)!;
    return [`${s.f}/${e.comp}/${e.season}/${e.label}`];
  });
  sameStats(
    t,
    'mv_model_stats_competition',
    await sql<(ViewRow & { key: string })[]>`
    select model_id || '/' || competition_id || '/' || season_id || '/' || season as key, * from stats.mv_model_stats_competition`,
    comp,
  );

  const club = aggregate(models, (s) => {
    const e = r.events.get(s.event)!;
    return [`${s.f}/${e.home}/${e.season}/true`, `${s.f}/${e.away}/${e.season}/false`];
  });
  sameStats(
    t,
    'mv_model_stats_club',
    await sql<(ViewRow & { key: string })[]>`
    select model_id || '/' || club_id || '/' || season_id || '/' || is_home as key, * from stats.mv_model_stats_club`,
    club,
  );

  // user leaderboard: per season, rank by points (ties share)
  const users = aggregate(
    scored.filter((s) => r.forecasters.get(s.f)!.kind === 'user'),
    (s) => [`${r.events.get(s.event)!.season}/${s.f}`],
  );
  const board = await sql<
    {
      season_id: number;
      forecaster_id: string;
      handle: string;
      predictions: number;
      points: string;
      units: string;
      staked: string;
      roi: string | null;
      roi_exact: string | null;
      rank: number;
    }[]
  >`
    select * from stats.user_leaderboard`;
  const problems: string[] = [];
  if (board.length !== users.size) problems.push(`${board.length} rows, expected ${users.size}`);
  for (const b of board) {
    const key = `${b.season_id}/${b.forecaster_id}`;
    const a = users.get(key);
    if (!a) {
      problems.push(`unexpected ${key}`);
      continue;
    }
    const better = [...users.entries()].filter(([k, o]) => k.startsWith(`${b.season_id}/`) && o.points > a.points).length;
    const checks: [string, unknown, number | null][] = [
      ['predictions', b.predictions, a.win + a.loss + a.void],
      ['points', b.points, a.points],
      ['units', b.units, a.units ?? 0],
      ['staked', b.staked, a.staked],
      ['roi_exact', b.roi_exact, a.stakedWithUnits ? (a.units ?? 0) / a.stakedWithUnits : null],
      ['rank', b.rank, better + 1],
    ];
    for (const [col, got, want] of checks) if (!close(got, want)) problems.push(`${key} ${col}: ${String(got)} != ${want}`);
    // what people read: roi_exact rounded to 4 decimals, as the other statistics views round
    const roiOk =
      b.roi_exact === null
        ? b.roi === null
        : b.roi !== null && /^-?\d+\.\d{4}$/.test(b.roi) && Math.abs(Number(b.roi) - Number(b.roi_exact)) <= 0.00005 + 1e-12;
    if (!roiOk) problems.push(`${key} roi: ${String(b.roi)} is not ${String(b.roi_exact)} rounded to 4 decimals`);
    if (b.handle !== r.forecasters.get(Number(b.forecaster_id))!.handle) problems.push(`${key} handle`);
  }
  t.same(problems.slice(0, 10), [], `user_leaderboard: ${board.length} rows equal the recomputation`);

  // calibration: models, by tenth of stated probability
  const cal = new Map<string, { n: number; p: number; won: number; brier: number; ll: number }>();
  for (const s of models) {
    if (s.outcome === 'void' || s.p === null) continue;
    const bucket = Math.min(Math.floor(Math.round(s.p * 1e6) / 1e5) + 1, 10); // probabilities carry at most 6 decimals here;
    const k = `${s.f}/${bucket}`;
    const c = cal.get(k) ?? { n: 0, p: 0, won: 0, brier: 0, ll: 0 };
    c.n += 1;
    c.p += s.p;
    c.won += s.outcome === 'win' ? 1 : 0;
    c.brier += s.brier!;
    c.ll += s.logLoss!;
    cal.set(k, c);
  }
  const calRows = await sql<
    { key: string; predictions: number; mean_probability: string; observed_rate: string; brier: number; log_loss: number }[]
  >`
    select model_id || '/' || bucket as key, * from stats.model_calibration`;
  const calProblems: string[] = [];
  if (calRows.length !== cal.size) calProblems.push(`${calRows.length} rows, expected ${cal.size}`);
  for (const c of calRows) {
    const e = cal.get(c.key);
    if (!e) {
      calProblems.push(`unexpected ${c.key}`);
      continue;
    }
    const checks: [string, unknown, number][] = [
      ['predictions', c.predictions, e.n],
      ['mean_probability', c.mean_probability, e.p / e.n],
      ['observed_rate', c.observed_rate, e.won / e.n],
      ['brier', c.brier, e.brier / e.n],
      ['log_loss', c.log_loss, e.ll / e.n],
    ];
    for (const [col, got, want] of checks) if (!close(got, want)) calProblems.push(`${c.key} ${col}: ${String(got)} != ${want}`);
  }
  t.same(calProblems.slice(0, 10), [], `model_calibration: ${calRows.length} rows equal the recomputation`);
}
