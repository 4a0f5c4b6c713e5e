// Attack: an open pick, or a pending bet, is moved rather than placed. The app updates its
// pick's selection (and market) onto a game that has already started or a settled market,
// or moves a pick off a game in progress onto one still to come (a withdrawal after
// kick-off); the worker does the same with a model's prediction; a role granted update on
// trade.bet moves a pending bet onto a settled or started selection. The guards judge both
// ends of a move: the new target as a new pick or bet (SL030, SL031, SL093), and the pick's
// present event, which must not have started (SL030). Nothing changes.
import t, { type Test } from 'tap';
import type { Sql } from '../../src/db.ts';
import { games, league, market, model, predict, user, type Game } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { sourceId } from '../helpers/timeseries.ts';

async function setup(t: Test) {
  const db = await testDb(t);
  const lg = await league(db.sql, { code: 'pm', teams: 8 });
  const gs = await games(db.sql, lg, 4);
  const ann = await user(db.sql, 'ann');
  return { ...db, gs, ann };
}

/** The game under way: its scheduled start an hour ago (not yet settled). */
async function kickOff(sql: Sql, g: Game): Promise<void> {
  await sql`update core.event set scheduled_start = now() - interval '1 hour' where event_id = ${g.event_id}`;
}

/** The game played and settled (home won 1-0), as the worker's scoring does it. */
async function settle(sql: Sql, g: Game): Promise<void> {
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g.event_id}`;
  await sql`select forecast.score_event(${g.event_id})`;
}

async function pickOf(sql: Sql, id: number) {
  const [p] = await sql<{ selection_id: number; market_id: number; predicted_at: Date }[]>`
    select selection_id::int, market_id::int, predicted_at from forecast.prediction where prediction_id = ${id}`;
  return p;
}

t.test('a pick is not moved onto a game that has started or onto a settled market', async (t) => {
  const { sql, gs, ann } = await setup(t);
  const [g0, started, settled] = gs as [Game, Game, Game];
  const [p] = await asRole(
    sql,
    'app',
    (tx) => tx<{ id: number }[]>`select (forecast.place_pick(${g0.home})).prediction_id::int as id`,
    ann,
  );
  await kickOff(sql, started);
  await settle(sql, settled);
  const before = await pickOf(sql, p!.id);

  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) =>
        tx`update forecast.prediction set selection_id = ${started.home}, market_id = ${started.market_id} where prediction_id = ${p!.id}`,
      ann,
    ),
    { code: 'SL030', message: /started at .*picks close at the start/ },
    'onto a game that has started: SL030',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) =>
        tx`update forecast.prediction set selection_id = ${settled.home}, market_id = ${settled.market_id} where prediction_id = ${p!.id}`,
      ann,
    ),
    { code: 'SL031', message: /market .* is settled/ },
    'onto a settled market: SL031',
  );
  t.same(await pickOf(sql, p!.id), before, 'the pick is where it was');
});

t.test('a pick is not moved off a game in progress (a withdrawal after kick-off), by the app or the worker', async (t) => {
  const { sql, gs, ann } = await setup(t);
  const [g0, , , later] = gs as [Game, Game, Game, Game];
  const [p] = await asRole(
    sql,
    'app',
    (tx) => tx<{ id: number }[]>`select (forecast.place_pick(${g0.away})).prediction_id::int as id`,
    ann,
  );
  const m = await model(sql, 'mover');
  await predict(sql, m, g0.home);
  const [mp] = await sql<{ id: number }[]>`select prediction_id::int as id from forecast.prediction where forecaster_id = ${m}`;
  await kickOff(sql, g0);
  const before = [await pickOf(sql, p!.id), await pickOf(sql, mp!.id)];

  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) =>
        tx`update forecast.prediction set selection_id = ${later.home}, market_id = ${later.market_id} where prediction_id = ${p!.id}`,
      ann,
    ),
    { code: 'SL030', message: /started at .*a pick is not changed or moved once its event has started/ },
    'the app moves its pick off the started game onto a game still to come: SL030',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) =>
        tx`update forecast.prediction set selection_id = ${later.away}, market_id = ${later.market_id} where prediction_id = ${mp!.id}`,
    ),
    { code: 'SL030', message: /a pick is not changed or moved once its event has started/ },
    'the worker moves a model’s prediction off the started game (keeping its early predicted_at): SL030',
  );
  t.same([await pickOf(sql, p!.id), await pickOf(sql, mp!.id)], before, 'both picks are where they were');

  // before the start a pick may still be moved: onto the later game, dated now
  const [q] = await asRole(
    sql,
    'app',
    (tx) => tx<{ id: number }[]>`select (forecast.place_pick(${gs[1]!.home})).prediction_id::int as id`,
    ann,
  );
  const [moved] = await asRole(
    sql,
    'app',
    (tx) => tx<{ selection_id: number }[]>`
      update forecast.prediction set selection_id = ${later.draw}, market_id = ${later.market_id}
       where prediction_id = ${q!.id} returning selection_id::int`,
    ann,
  );
  t.equal(moved?.selection_id, later.draw, 'a pick on a game not yet started moves onto another one');
});

t.test('a pending bet is not moved onto a settled or started selection; a move copies the market type again', async (t) => {
  const { sql, gs } = await setup(t);
  const [g0, started, settled, other] = gs as [Game, Game, Game, Game];
  const [st] = await sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('mover', '1') returning strategy_id as id`;
  const betfair = await sourceId(sql, 'betfair');
  const [b] = await asRole(
    sql,
    'app',
    (tx) => tx<{ id: number }[]>`select (trade.place_bet(${st!.id}, ${g0.home}, ${betfair}, 'back', 2, 10)).bet_id::int as id`,
  );
  await kickOff(sql, started);
  await settle(sql, settled);
  const cs = await market(sql, other.event_id, 'correct_score', [{ code: '1-0' }, { code: 'other' }]);
  const bet = async () => {
    const [r] = await sql<{ selection_id: number; market_type: string; status: string }[]>`
      select selection_id::int, market_type, status from trade.bet where bet_id = ${b!.id}`;
    return r;
  };
  const before = await bet();
  // a role given update on trade.bet (a psql user, say) meets the same guard as the app's place_bet
  const asUpdater = (selection: number) =>
    sql.begin(async (tx) => {
      await tx`grant update on trade.bet to scoreline_app`;
      await tx`set local role scoreline_app`;
      return tx<{ market_type: string }[]>`update trade.bet set selection_id = ${selection} where bet_id = ${b!.id} returning market_type`;
    });

  await rejectsWith(t, asUpdater(settled.home), { code: 'SL093', message: /is settled/ }, 'onto a settled market: SL093');
  await rejectsWith(t, asUpdater(started.home), { code: 'SL093', message: /started at/ }, 'onto a game that has started: SL093');
  t.same(await bet(), before, 'the bet is where it was');

  const [moved] = await asUpdater(cs.sel['1-0']!);
  t.equal(moved?.market_type, 'correct_score', 'moved onto an open correct_score selection, the bet is a correct_score bet');
});
