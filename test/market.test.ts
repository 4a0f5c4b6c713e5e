// The market schema refuses every bad write with a named constraint or SL020, fills its
// defaults from market.market_type, and deletes what belongs to a row with it (a market's
// selections) while refusing to lose what others refer to (a source with contracts).
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { rejectsWith, restrictViolation, testDb } from './helpers/db.ts';
import { game, race, world, type World } from './helpers/world.ts';

// ---------------------------------------------------------------------------------------
// Fixtures: plain inserts into the real schema, nothing mocked.

/** A match (football) in the world's competition: a game's sibling kind. */
async function match(sql: Sql, w: World, externalId: string): Promise<number> {
  const [e] = await sql<{ id: number }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start,
                            home_team_id, away_team_id)
    values (${externalId}, 'match', ${w.competitionId}, ${w.seasonId}, ${w.week}, '2025-09-07 15:00Z', ${w.home}, ${w.away})
    returning event_id::int as id`;
  return e!.id;
}

interface MarketRow {
  id: number;
  allows_multiple_picks: boolean;
  places: number | null;
}

async function openMarket(
  sql: Sql,
  eventId: number,
  type: string,
  extra: { allows_multiple_picks?: boolean; places?: number } = {},
): Promise<MarketRow> {
  const row = { event_id: eventId, market_type: type, ...extra };
  const [m] = await sql<MarketRow[]>`
    insert into market.market ${sql(row, Object.keys(row) as (keyof typeof row)[])}
    returning market_id::int as id, allows_multiple_picks, places`;
  return m!;
}

t.test('market_type and source: codes, kinds, commission', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`insert into market.market_type (code, description, event_kinds) values ('Over Under', 'x', array['game'])`, {
    code: '23514',
    constraint: 'market_type_code_format',
  });
  await rejectsWith(
    t,
    sql`insert into market.market_type (code, description, event_kinds) values ('match_result', 'again', array['game'])`,
    { code: '23505', constraint: 'market_type_pkey' },
  );
  await rejectsWith(
    t,
    sql`insert into market.market_type (code, description, event_kinds) values ('total_points', 'x', array['game', 'bout'])`,
    { code: '23514', constraint: 'market_type_event_kinds_known' },
  );
  await rejectsWith(
    t,
    sql`insert into market.market_type (code, description, event_kinds) values ('total_points', 'x', array[]::text[])`,
    { code: '23514', constraint: 'market_type_event_kinds_known' },
    'a market type for no kind of event fails (market_type_event_kinds_known)',
  );
  await sql`insert into market.market_type (code, description, event_kinds) values ('total_points', 'Over/under total points', array['game'])`;
  t.pass('a well-formed market type is accepted');

  await rejectsWith(t, sql`insert into market.source (code, name, kind) values ('Betfair', 'x', 'exchange')`, {
    code: '23514',
    constraint: 'source_code_format',
  });
  await rejectsWith(t, sql`insert into market.source (code, name, kind) values ('betfair', 'again', 'exchange')`, {
    code: '23505',
    constraint: 'source_code_key',
  });
  await rejectsWith(t, sql`insert into market.source (code, name, kind) values ('tipster', 'x', 'tipster')`, {
    code: '23514',
    constraint: 'source_kind_known',
  });
  for (const rate of [1, -0.01]) {
    await rejectsWith(
      t,
      sql`insert into market.source (code, name, kind, commission_rate) values ('exch', 'x', 'exchange', ${rate})`,
      { code: '23514', constraint: 'source_commission_rate_range' },
      `commission ${rate} fails (source_commission_rate_range)`,
    );
  }
  const [b] = await sql<{ id: number }[]>`select source_id as id from market.source where code = 'betfair'`;
  await rejectsWith(
    t,
    sql`insert into market.source (source_id, code, name, kind) overriding system value values (${b!.id}, 'exch', 'x', 'exchange')`,
    { code: '23505', constraint: 'source_pkey' },
  );
});

t.test('market: type fits the event (SL020), defaults from the type, status and places', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const gameId = await game(sql, w, 'g1');
  const matchId = await match(sql, w, 'm1');
  const raceId = await race(sql, w, 'r1');

  await rejectsWith(t, openMarket(sql, matchId, 'race_win'), {
    code: 'SL020',
    message: /a race_win market cannot be opened on a match/,
  });
  await rejectsWith(t, openMarket(sql, matchId, 'first_td_scorer'), {
    code: 'SL020',
    message: /first_td_scorer market cannot be opened on a match/,
  });
  await rejectsWith(t, openMarket(sql, raceId, 'match_result'), { code: 'SL020' });
  await rejectsWith(t, openMarket(sql, gameId, 'race_place'), { code: 'SL020' });

  const result = await openMarket(sql, gameId, 'match_result');
  t.same([result.allows_multiple_picks, result.places], [false, null], 'match_result: one pick, no places');
  const td = await openMarket(sql, gameId, 'first_td_scorer');
  t.equal(td.allows_multiple_picks, false, 'first_td_scorer on a game: one pick');
  const win = await openMarket(sql, raceId, 'race_win');
  t.equal(win.allows_multiple_picks, false, 'race_win: one pick');
  const place = await openMarket(sql, raceId, 'race_place');
  t.same([place.allows_multiple_picks, place.places], [true, 3], 'race_place: several picks, 3 places by default');
  const both = await openMarket(sql, matchId, 'correct_score', { allows_multiple_picks: true });
  t.equal(both.allows_multiple_picks, true, 'an explicit allows_multiple_picks is kept');
  const [r2] = await sql<{ id: number }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, scheduled_start)
    values ('r2', 'race', ${w.competitionId}, ${w.seasonId}, now()) returning event_id::int as id`;
  const two = await openMarket(sql, r2!.id, 'race_place', { places: 2 });
  t.equal(two.places, 2, 'explicit places are kept');

  // The rule holds on update too: a market cannot be moved to a type or event it does not fit.
  await rejectsWith(t, sql`update market.market set market_type = 'race_win' where market_id = ${result.id}`, {
    code: 'SL020',
  });
  await rejectsWith(t, sql`update market.market set event_id = ${matchId} where market_id = ${td.id}`, {
    code: 'SL020',
    message: /first_td_scorer market cannot be opened on a match/,
  });

  await rejectsWith(t, openMarket(sql, gameId, 'match_result'), { code: '23505', constraint: 'market_event_type_key' });
  await rejectsWith(t, openMarket(sql, gameId, 'over_under'), { code: '23503', constraint: 'market_market_type_fk' });
  await rejectsWith(t, openMarket(sql, 999999, 'match_result'), { code: '23503', constraint: 'market_event_fk' });
  await rejectsWith(t, openMarket(sql, matchId, 'match_result', { places: 0 }), {
    code: '23514',
    constraint: 'market_places_positive',
  });
  await rejectsWith(t, sql`update market.market set places = null where market_id = ${place.id}`, {
    code: '23514',
    constraint: 'market_place_has_places',
  });
  await rejectsWith(t, sql`update market.market set status = 'closed' where market_id = ${result.id}`, {
    code: '23514',
    constraint: 'market_status_known',
  });
  for (const status of ['settled', 'void']) {
    await rejectsWith(
      t,
      sql`update market.market set status = ${status} where market_id = ${result.id}`,
      { code: '23514', constraint: 'market_settled_has_time' },
      `${status} without settled_at fails (market_settled_has_time)`,
    );
  }
  await sql`update market.market set status = 'settled', settled_at = now(), settled_result_version = 0 where market_id = ${result.id}`;
  t.pass('settled with its time is accepted');
  await rejectsWith(
    t,
    sql`insert into market.market (market_id, event_id, market_type) overriding system value values (${result.id}, ${matchId}, 'binary')`,
    { code: '23505', constraint: 'market_pkey' },
  );
});

t.test('selection and external_market: one subject, known results, unique codes and contracts', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const gameId = await game(sql, w, 'g1');
  const m = await openMarket(sql, gameId, 'first_td_scorer');
  const [p] = await sql<{ id: number }[]>`
    insert into core.player (sport_id, external_id, full_name) values (${w.sportId}, 'p1', 'Pat') returning player_id::int as id`;
  const [s] = await sql<{ id: number }[]>`
    insert into market.selection (market_id, code, label, player_id) values (${m.id}, 'p1', 'Pat', ${p!.id})
    returning selection_id::int as id`;

  await rejectsWith(t, sql`insert into market.selection (market_id, code, label) values (${m.id}, 'p1', 'Pat again')`, {
    code: '23505',
    constraint: 'selection_market_code_key',
  });
  await rejectsWith(
    t,
    sql`insert into market.selection (market_id, code, label, team_id, player_id) values (${m.id}, 'x', 'x', ${w.home}, ${p!.id})`,
    { code: '23514', constraint: 'selection_one_subject' },
  );
  await rejectsWith(t, sql`update market.selection set result = 'push' where selection_id = ${s!.id}`, {
    code: '23514',
    constraint: 'selection_result_known',
  });
  await rejectsWith(t, sql`insert into market.selection (market_id, code, label) values (999999, 'x', 'x')`, {
    code: '23503',
    constraint: 'selection_market_fk',
  });
  await rejectsWith(t, sql`insert into market.selection (market_id, code, label, team_id) values (${m.id}, 'x', 'x', 999999)`, {
    code: '23503',
    constraint: 'selection_team_fk',
  });
  await rejectsWith(t, sql`insert into market.selection (market_id, code, label, player_id) values (${m.id}, 'x', 'x', 999999)`, {
    code: '23503',
    constraint: 'selection_player_fk',
  });
  await rejectsWith(t, sql`insert into market.selection (market_id, code, label, runner_id) values (${m.id}, 'x', 'x', 999999)`, {
    code: '23503',
    constraint: 'selection_runner_fk',
  });
  await rejectsWith(
    t,
    sql`insert into market.selection (selection_id, market_id, code, label) overriding system value values (${s!.id}, ${m.id}, 'y', 'y')`,
    { code: '23505', constraint: 'selection_pkey' },
  );

  const [poly] = await sql<{ id: number }[]>`select source_id as id from market.source where code = 'polymarket'`;
  const [x] = await sql<{ id: number }[]>`
    insert into market.external_market (source_id, external_id, outcome, selection_id)
    values (${poly!.id}, '0xabc', 'Yes', ${s!.id}) returning external_market_id::int as id`;
  await rejectsWith(t, sql`insert into market.external_market (source_id, external_id, outcome) values (${poly!.id}, '0xabc', 'Yes')`, {
    code: '23505',
    constraint: 'external_market_source_id_outcome_key',
  });
  await sql`insert into market.external_market (source_id, external_id, outcome) values (${poly!.id}, '0xabc', 'No')`;
  t.pass('the other outcome of the same contract is accepted');
  await rejectsWith(t, sql`insert into market.external_market (source_id, external_id, outcome) values (32000, 'k', 'Yes')`, {
    code: '23503',
    constraint: 'external_market_source_fk',
  });
  await rejectsWith(
    t,
    sql`insert into market.external_market (source_id, external_id, outcome, selection_id) values (${poly!.id}, 'k', 'Yes', 999999)`,
    { code: '23503', constraint: 'external_market_selection_fk' },
  );
  await rejectsWith(
    t,
    sql`insert into market.external_market (external_market_id, source_id, external_id, outcome) overriding system value
        values (${x!.id}, ${poly!.id}, 'k', 'Yes')`,
    { code: '23505', constraint: 'external_market_pkey' },
  );
});

t.test('market on delete: cascade to selections, restrict sources, types, teams and players in use', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const restrict = await restrictViolation(sql);
  const n = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? -1;
  const gameId = await game(sql, w, 'g1');
  const raceId = await race(sql, w, 'r1');
  const m = await openMarket(sql, gameId, 'match_result');
  await sql`
    insert into market.selection (market_id, code, label, team_id)
    values (${m.id}, 'home', 'Home', ${w.home}), (${m.id}, 'away', 'Away', ${w.away}), (${m.id}, 'draw', 'Draw', null)`;
  const win = await openMarket(sql, raceId, 'race_win');
  await sql`
    insert into market.selection (market_id, code, label, runner_id)
    select ${win.id}, r.number::text, r.name, r.runner_id from core.runner r where r.event_id = ${raceId}`;
  const [src] = await sql<{ id: number }[]>`
    insert into market.source (code, name, kind) values ('t_pm', 'Test market', 'prediction_market') returning source_id as id`;
  const [home] = await sql<
    { id: number }[]
  >`select selection_id::int as id from market.selection where market_id = ${m.id} and code = 'home'`;
  const [x] = await sql<{ id: number }[]>`
    insert into market.external_market (source_id, external_id, outcome, selection_id)
    values (${src!.id}, 'T-1', 'Yes', ${home!.id}) returning external_market_id::int as id`;

  // restrict: SQLSTATE 23001 (23503 before PostgreSQL 18) naming the foreign key
  await rejectsWith(t, sql`delete from market.source where source_id = ${src!.id}`, {
    code: restrict,
    constraint: 'external_market_source_fk',
  });
  await rejectsWith(t, sql`delete from market.market_type where code = 'race_win'`, {
    code: restrict,
    constraint: 'market_market_type_fk',
  });
  const [lone] = await sql<{ id: number }[]>`
    insert into core.team (sport_id, code, name) values (${w.sportId}, 'LON', 'Lone') returning team_id as id`;
  await sql`insert into market.selection (market_id, code, label, team_id) values (${m.id}, 'lone', 'Lone', ${lone!.id})`;
  await rejectsWith(t, sql`delete from core.team where team_id = ${lone!.id}`, {
    code: restrict,
    constraint: 'selection_team_fk',
  });
  const [p] = await sql<{ id: number }[]>`
    insert into core.player (sport_id, external_id, full_name) values (${w.sportId}, 'p1', 'Pat') returning player_id::int as id`;
  await sql`insert into market.selection (market_id, code, label, player_id) values (${m.id}, 'p1', 'Pat', ${p!.id})`;
  await rejectsWith(t, sql`delete from core.player where player_id = ${p!.id}`, {
    code: restrict,
    constraint: 'selection_player_fk',
  });

  // set null: a contract outlives the selection it was linked to
  await sql`delete from market.selection where selection_id = ${home!.id}`;
  const [link] = await sql<{ selection_id: string | null }[]>`
    select selection_id from market.external_market where external_market_id = ${x!.id}`;
  t.equal(link?.selection_id, null, 'external_market.selection_id is set null (external_market_selection_fk)');

  // cascade
  await sql`delete from core.runner where event_id = ${raceId} and number = 1`;
  t.equal(
    await n(sql`select count(*)::int as n from market.selection where market_id = ${win.id}`),
    2,
    'a runner takes its selection with it (selection_runner_fk cascades)',
  );
  t.ok((await n(sql`select count(*)::int as n from market.selection where market_id = ${m.id}`)) > 0, 'the market has selections');
  await sql`delete from market.market where market_id = ${m.id}`;
  t.equal(
    await n(sql`select count(*)::int as n from market.selection where market_id = ${m.id}`),
    0,
    'deleting a market deletes its selections (selection_market_fk cascades)',
  );
  await sql`delete from core.event where event_id = ${raceId}`;
  t.equal(
    await n(sql`select count(*)::int as n from market.market where event_id = ${raceId}`),
    0,
    'deleting an event deletes its markets (market_event_fk cascades)',
  );
  t.equal(await n(sql`select count(*)::int as n from market.selection where market_id = ${win.id}`), 0, 'and their selections');
});

t.test('odds_snapshot and odds_bar_1m: keys per partition, well-formed 1-minute bars', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const restrict = await restrictViolation(sql);
  const raceId = await race(sql, w, 'r1');
  const m = await openMarket(sql, raceId, 'race_win');
  const [s] = await sql<{ id: number }[]>`
    insert into market.selection (market_id, code, label) values (${m.id}, '1', 'One') returning selection_id::int as id`;
  const [b] = await sql<{ id: number }[]>`select source_id as id from market.source where code = 'betfair'`;
  const sel = s!.id;
  const src = b!.id;

  // A primary key of a partitioned table is enforced by each partition's index, whose name
  // is the one the error carries: check it belongs to the parent's key.
  const parentIndexOf = async (index: string | undefined) => {
    const [row] = await sql<{ parent: string }[]>`
      select p.relname as parent
        from pg_class c
        join pg_inherits h on h.inhrelid = c.oid
        join pg_class p on p.oid = h.inhparent
       where c.relname = ${index ?? ''} and c.relnamespace = 'market'::regnamespace`;
    return row?.parent;
  };
  const snap = () => sql`
    insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price)
    values ('2024-01-01 05:00Z', ${sel}, ${src}, 2.5)`;
  await snap();
  const e1 = await rejectsWith(t, snap(), { code: '23505' }, 'the same selection, source and instant twice fails');
  t.equal(await parentIndexOf(e1?.constraint_name), 'odds_snapshot_pkey', 'with a partition of odds_snapshot_pkey');

  const bar = (o: Record<string, string | number>) => {
    const row = {
      bucket: '2024-01-01 05:00Z',
      selection_id: sel,
      source_id: src,
      snapshots: 2,
      first_observed_at: '2024-01-01 05:00:05Z',
      last_observed_at: '2024-01-01 05:00:55Z',
      ...o,
    };
    return sql`insert into market.odds_bar_1m ${sql(row)}`;
  };
  await bar({ back_open: 2.5, back_high: 2.6, back_low: 2.4, back_close: 2.45 });
  t.pass('a well-formed bar is accepted');
  const e2 = await rejectsWith(t, bar({}), { code: '23505' }, 'the same bar twice fails');
  t.equal(await parentIndexOf(e2?.constraint_name), 'odds_bar_1m_pkey', 'with a partition of odds_bar_1m_pkey');

  const next = { bucket: '2024-01-01 05:01Z', first_observed_at: '2024-01-01 05:01:00Z', last_observed_at: '2024-01-01 05:01:30Z' };
  await rejectsWith(t, bar({ ...next, bucket: '2024-01-01 05:01:10Z' }), {
    code: '23514',
    constraint: 'odds_bar_1m_bucket_is_minute',
  });
  for (const [what, o] of [
    ['first observation before the bucket', { first_observed_at: '2024-01-01 05:00:59Z' }],
    ['last observation after the minute', { last_observed_at: '2024-01-01 05:02:00Z' }],
    ['first after last', { first_observed_at: '2024-01-01 05:01:40Z' }],
  ] as const) {
    await rejectsWith(
      t,
      bar({ ...next, ...o }),
      { code: '23514', constraint: 'odds_bar_1m_observed_within_bucket' },
      `${what} fails (odds_bar_1m_observed_within_bucket)`,
    );
  }
  await rejectsWith(t, bar({ ...next, snapshots: 0 }), { code: '23514', constraint: 'odds_bar_1m_snapshots_positive' });
  await rejectsWith(t, bar({ ...next, back_open: 3, back_high: 2.6, back_low: 2.4, back_close: 2.5 }), {
    code: '23514',
    constraint: 'odds_bar_1m_back_ordered',
  });
  await rejectsWith(t, bar({ ...next, back_open: 2.5, back_high: 2.4, back_low: 2.6, back_close: 2.5 }), {
    code: '23514',
    constraint: 'odds_bar_1m_back_ordered',
  });
  await rejectsWith(t, bar({ ...next, lay_open: 2.5, lay_high: 2.6, lay_low: 2.4, lay_close: 2.7 }), {
    code: '23514',
    constraint: 'odds_bar_1m_lay_ordered',
  });
  await rejectsWith(t, bar({ ...next, selection_id: -1 }), { code: '23503', constraint: 'odds_bar_1m_selection_fk' });
  await rejectsWith(t, bar({ ...next, source_id: 999 }), { code: '23503', constraint: 'odds_bar_1m_source_fk' });

  // on delete: a source with prices is kept (the bars' foreign key; the snapshots' trigger,
  // SL106, test/odds-keys.test.ts); a selection takes its prices with it
  await sql`delete from market.odds_snapshot where source_id = ${src}`;
  await rejectsWith(t, sql`delete from market.source where source_id = ${src}`, { code: restrict, constraint: 'odds_bar_1m_source_fk' });
  await snap();
  await sql`delete from market.selection where selection_id = ${sel}`;
  const [left] = await sql<{ n: number }[]>`
    select (select count(*) from market.odds_snapshot where selection_id = ${sel})
         + (select count(*) from market.odds_bar_1m where selection_id = ${sel}) as n`;
  t.equal(
    Number(left?.n),
    0,
    'prices and bars go with their selection (market.tg_selection__delete_odds, odds_bar_1m_selection_fk cascade)',
  );
});
