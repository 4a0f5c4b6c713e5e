// Pick'em (seed 001): player statistics kept by triggers on settlement, counted once
// per game however many picked the scorer, decremented by a corrected or withdrawn
// result and by a withdrawn pick; positions from the roster.
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { complete, event, league, market, player, pick, user } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

interface Row {
  player_id: string;
  team_id: number | null;
  position: string;
  first_td_count: number;
  picks_made: number;
  picks_correct: number;
}

async function statsOf(sql: Sql): Promise<Record<string, Omit<Row, 'player_id'>>> {
  const rows = await sql<(Row & { name: string })[]>`
    select p.full_name as name, s.team_id, s.position, s.first_td_count, s.picks_made, s.picks_correct
      from stats.player_stats s join core.player p using (player_id) order by p.full_name, s.team_id`;
  return Object.fromEntries(rows.map(({ name, ...rest }) => [name, rest]));
}

t.test('first-touchdown counts and pick records follow settlement, corrections and withdrawals', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { teams: 4 });
  const [kc, bal, buf, mia] = lg.teams as [number, number, number, number];
  const kelce = await player(sql, lg, 'Kelce', kc, 'TE');
  const henry = await player(sql, lg, 'Henry', bal, 'RB');
  const nobody = await player(sql, lg, 'Unrostered'); // no roster row: UNK
  const g1 = await event(sql, lg, { kind: 'game', home: kc, away: bal, week: 1 });
  const g2 = await event(sql, lg, { kind: 'game', home: buf, away: mia, week: 2 });
  const m1 = await market(sql, g1, 'first_td_scorer', [
    { code: 'kelce', playerId: kelce },
    { code: 'henry', playerId: henry },
    { code: 'none' },
  ]);
  const m2 = await market(sql, g2, 'first_td_scorer', [
    { code: 'kelce', playerId: kelce },
    { code: 'x', playerId: nobody },
    { code: 'none' },
  ]);
  const users = [await user(sql, 'u1'), await user(sql, 'u2'), await user(sql, 'u3'), await user(sql, 'u4')];
  for (const u of users.slice(0, 3)) await pick(sql, u, m1.sel.kelce!, { odds: 7 });
  await pick(sql, users[3]!, m1.sel.henry!, { odds: 9 });
  const late = await pick(sql, users[0]!, m2.sel.x!, { odds: 30 });

  t.same(
    await statsOf(sql),
    {
      Henry: { team_id: bal, position: 'RB', first_td_count: 0, picks_made: 1, picks_correct: 0 },
      Kelce: { team_id: kc, position: 'TE', first_td_count: 0, picks_made: 3, picks_correct: 0 },
      Unrostered: { team_id: null, position: 'UNK', first_td_count: 0, picks_made: 1, picks_correct: 0 },
    },
    'picks are counted as they are made, positions from the roster',
  );

  await complete(sql, g1, 27, 20);
  await sql`select forecast.record_first_touchdown(${g1}, ${kelce})`;
  t.same(
    (await statsOf(sql)).Kelce,
    { team_id: kc, position: 'TE', first_td_count: 1, picks_made: 3, picks_correct: 3 },
    'three users picked him: one touchdown, three correct picks',
  );

  await complete(sql, g2, 10, 3);
  await sql`select forecast.record_first_touchdown(${g2}, ${nobody}, ${buf})`;
  let s = await statsOf(sql);
  t.same(s.Unrostered, { team_id: buf, position: 'UNK', first_td_count: 1, picks_made: 1, picks_correct: 1 }, 'the feed names his team');
  const [share] = await sql<{ v: string }[]>`select stats.dq_unknown_position_share() as v`;
  t.equal(Number(share!.v), 1 / 3, 'one player in three has no position');

  // a corrected scorer moves the touchdown and the correct picks
  await sql`select forecast.record_first_touchdown(${g1}, ${henry})`;
  s = await statsOf(sql);
  t.same(s.Kelce, { team_id: kc, position: 'TE', first_td_count: 0, picks_made: 3, picks_correct: 0 }, 'decremented');
  t.same(s.Henry, { team_id: bal, position: 'RB', first_td_count: 1, picks_made: 1, picks_correct: 1 }, 'incremented');

  // a withdrawn result: game 2 back to scheduled, its touchdown no longer counts
  await sql`select core.correct_event_result(${g2}, 'scheduled', null, null, 'result withdrawn')`;
  t.same(
    (await statsOf(sql)).Unrostered,
    { team_id: buf, position: 'UNK', first_td_count: 0, picks_made: 1, picks_correct: 1 },
    'the touchdown is gone as soon as the result is withdrawn',
  );
  await sql`select forecast.score_event(${g2})`;
  t.same(
    (await statsOf(sql)).Unrostered,
    { team_id: buf, position: 'UNK', first_td_count: 0, picks_made: 1, picks_correct: 0 },
    'and the pick is no longer correct once re-settled',
  );

  // a withdrawn pick; the row disappears when nothing is left
  await sql`delete from forecast.prediction where prediction_id = ${late}`;
  t.notOk('Unrostered' in (await statsOf(sql)), 'no picks and no touchdowns: no row');

  // a game abandoned after the fact: the touchdown is not counted
  await sql`select core.correct_event_result(${g1}, 'abandoned', 27::smallint, 20::smallint, 'abandoned')`;
  await sql`select forecast.score_event(${g1})`;
  s = await statsOf(sql);
  t.same(s.Henry, { team_id: bal, position: 'RB', first_td_count: 0, picks_made: 1, picks_correct: 0 }, 'abandoned: void, nothing counted');

  // recomputing by hand changes nothing: the triggers kept it exact
  const [n] = await sql<{ n: number }[]>`
    select stats.recompute_player_stats(array_agg(season_id), array_agg(player_id)) as n from stats.player_stats`;
  t.equal(n!.n, 0, 'a full recomputation finds nothing to change');
});

t.test('the position of a pick comes from the roster, through forecast.pick', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const wr = await player(sql, lg, 'Wide', lg.teams[0], 'WR');
  const nobody = await player(sql, lg, 'Nobody');
  const g = await event(sql, lg, { kind: 'game', week: 3 });
  const m = await market(sql, g, 'first_td_scorer', [
    { code: 'w', playerId: wr },
    { code: 'n', playerId: nobody },
  ]);
  const a = await user(sql, 'aa');
  const b = await user(sql, 'bb');
  await pick(sql, a, m.sel.w!);
  await pick(sql, b, m.sel.n!);
  const rows = await sql<{ handle: string; week_number: number; position: string }[]>`
    select handle, week_number, position from forecast.pick where event_id = ${g} order by handle`;
  t.same(rows, [
    { handle: 'aa', week_number: 3, position: 'WR' },
    { handle: 'bb', week_number: 3, position: 'UNK' },
  ]);
});
