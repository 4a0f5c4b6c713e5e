// core.correct_event_result: the one way a settled result changes. It refuses what it
// cannot do with a stable SQLSTATE (SL003 no event, SL004 not settled, SL005 no change,
// 22023 bad status or runner positions), and every correction bumps result_version and
// leaves a row in core.event_correction with the result before and after.
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { game, race, world } from './helpers/world.ts';

// ---------------------------------------------------------------------------------------
// Fixtures: plain inserts into the real schema, nothing mocked.

interface Trace {
  event_id: number;
  reason: string;
  corrected_by: string;
  old_status: string;
  new_status: string;
  old_home_score: number | null;
  old_away_score: number | null;
  new_home_score: number | null;
  new_away_score: number | null;
  old_runner_positions: Record<string, number | null> | null;
  new_runner_positions: Record<string, number | null> | null;
  result_version: number;
}

interface EventRow {
  status: string;
  home_score: number | null;
  away_score: number | null;
  result_version: number;
  completed_at: Date | null;
}

async function eventRow(sql: Sql, id: number): Promise<EventRow | undefined> {
  const [row] = await sql<EventRow[]>`
    select status, home_score, away_score, result_version, completed_at from core.event where event_id = ${id}`;
  return row;
}

async function traces(sql: Sql, id: number): Promise<Trace[]> {
  return sql<Trace[]>`
    select event_id::int, reason, corrected_by, old_status, new_status, old_home_score, old_away_score,
           new_home_score, new_away_score, old_runner_positions, new_runner_positions, result_version
      from core.event_correction where event_id = ${id} order by correction_id`;
}

/** Calls core.correct_event_result; positions are passed as JSON text. */
function correct(
  sql: Sql,
  id: number,
  status: string | null,
  home: number | null,
  away: number | null,
  reason: string,
  positions?: unknown,
) {
  const json = positions === undefined ? null : JSON.stringify(positions);
  return sql<Trace[]>`
    select (c).event_id::int, (c).old_status, (c).new_status, (c).result_version
      from (select core.correct_event_result(${id}, ${status}, ${home}::smallint, ${away}::smallint, ${reason},
                                             ${json}::text::jsonb) as c) x`;
}

t.test('refusals: SL003, SL004, SL005, 22023, a blank reason', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const done = await game(sql, w, 'g_done', 'completed');
  const open = await game(sql, w, 'g_open');
  const raceId = await race(sql, w, 'r_done', 'completed');

  await rejectsWith(t, correct(sql, 999999, 'completed', 1, 0, 'typo'), { code: 'SL003', message: /no event 999999/ });
  await rejectsWith(t, correct(sql, open, 'completed', 1, 0, 'typo'), {
    code: 'SL004',
    message: /g_open\) is scheduled: only a settled result is corrected/,
  });
  await sql`update core.event set status = 'in_progress' where event_id = ${open}`;
  await rejectsWith(t, correct(sql, open, 'completed', 1, 0, 'typo'), { code: 'SL004', message: /is in_progress/ });
  await rejectsWith(t, correct(sql, done, 'completed', 24, 17, 'same again'), {
    code: 'SL005',
    message: /changes nothing/,
  });
  await rejectsWith(t, correct(sql, done, 'in_progress', null, null, 'restart'), {
    code: '22023',
    message: /not in_progress/,
  });
  await rejectsWith(t, correct(sql, done, 'finished', 24, 17, 'x'), { code: '22023' });
  await rejectsWith(t, correct(sql, done, null, 24, 17, 'x'), { code: '22023', message: /not null/ });
  await rejectsWith(t, correct(sql, done, 'completed', 24, 21, ''), {
    code: '23514',
    constraint: 'event_correction_reason_given',
  });
  await rejectsWith(t, correct(sql, done, 'completed', 24, null, 'half a score'), {
    code: '23514',
    constraint: 'event_completed_match_has_scores',
  });
  await rejectsWith(t, correct(sql, done, 'completed', 24, 17, 'positions on a game', { '1': 1 }), {
    code: '22023',
    message: /is a game: runner positions apply to races only/,
  });

  // Runner positions: a JSON object of runner number -> whole position from 1, or null.
  const bad: [unknown, RegExp][] = [
    [[1, 2, 3], /must be a JSON object/],
    ['1st', /must be a JSON object/],
    [{ one: 1 }, /one: 1/],
    [{ '0': 1 }, /0: 1/],
    [{ '1': 0 }, /1: 0/],
    [{ '1': 1.5 }, /1: 1.5/],
    [{ '1': '2' }, /1: "2"/],
    [{ '1': true }, /1: true/],
    [{ '9': 1 }, /has no runner numbered 9/],
    [{ '2': 1, '7': 2, '8': 3 }, /has no runner numbered 7, 8/],
  ];
  for (const [positions, message] of bad) {
    await rejectsWith(
      t,
      correct(sql, raceId, 'completed', null, null, 'positions', positions),
      { code: '22023', message },
      `runner positions ${JSON.stringify(positions)} fail with 22023`,
    );
  }
  await rejectsWith(t, correct(sql, raceId, 'completed', null, null, 'same order', { '1': 1, '2': 2 }), {
    code: 'SL005',
  });

  t.same(await traces(sql, done), [], 'no refused correction left a trace');
  t.equal((await eventRow(sql, done))?.result_version, 0, 'nor bumped result_version');
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from core.runner where event_id = ${raceId} and finish_position = number`;
  t.equal(r?.n, 3, 'nor moved a runner');
});

t.test('a score correction bumps result_version and leaves the before and after', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const id = await game(sql, w, 'g1', 'completed');
  const before = await eventRow(sql, id);

  const [ret] = await correct(sql, id, 'completed', 24, 20, 'late field goal was good');
  t.match(ret, { event_id: id, old_status: 'completed', new_status: 'completed', result_version: 1 }, 'returns the trace');
  const after = await eventRow(sql, id);
  t.match(after, { status: 'completed', home_score: 24, away_score: 20, result_version: 1 }, 'the event has the new result');
  t.same(after?.completed_at, before?.completed_at, 'completed_at keeps the original completion');
  const [trace] = await traces(sql, id);
  t.match(
    trace,
    {
      reason: 'late field goal was good',
      old_status: 'completed',
      new_status: 'completed',
      old_home_score: 24,
      old_away_score: 17,
      new_home_score: 24,
      new_away_score: 20,
      old_runner_positions: null,
      new_runner_positions: null,
      result_version: 1,
    },
    'core.event_correction has why, before and after',
  );
  t.ok(trace?.corrected_by, 'and who');

  await correct(sql, id, 'abandoned', 24, 20, 'the match was in fact abandoned');
  const abandoned = await eventRow(sql, id);
  t.match(abandoned, { status: 'abandoned', result_version: 2 }, 'completed -> abandoned by correction');
  t.equal(abandoned?.completed_at, null, 'completed_at cleared when corrected away from completed');

  await correct(sql, id, 'completed', 27, 20, 'completed after all');
  const again = await eventRow(sql, id);
  t.match(again, { status: 'completed', home_score: 27, result_version: 3 }, 'abandoned -> completed by correction');
  t.ok(again?.completed_at, 'completed_at stamped again');
  t.equal((await traces(sql, id)).length, 3, 'three corrections, three traces');

  await rejectsWith(t, sql`update core.event set home_score = 30 where event_id = ${id}`, { code: 'SL002' });
  t.pass('after a correction the result is locked again');
});

t.test('completed -> scheduled only through a correction, which leaves a trace', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const id = await game(sql, w, 'g1', 'completed');
  await rejectsWith(t, sql`update core.event set status = 'scheduled', home_score = null, away_score = null where event_id = ${id}`, {
    code: 'SL001',
    message: /from completed to scheduled/,
  });
  await rejectsWith(
    t,
    correct(sql, id, 'scheduled', 24, 17, 'result entered for the wrong game'),
    { code: '23514', constraint: 'event_scores_only_once_started' },
    'a scheduled event keeps no score (event_scores_only_once_started)',
  );
  await correct(sql, id, 'scheduled', null, null, 'result entered for the wrong game');
  const row = await eventRow(sql, id);
  t.match(row, { status: 'scheduled', home_score: null, away_score: null, result_version: 1 }, 'scheduled again');
  t.equal(row?.completed_at, null, 'completed_at cleared');
  const [trace] = await traces(sql, id);
  t.match(
    trace,
    { old_status: 'completed', new_status: 'scheduled', old_home_score: 24, old_away_score: 17, result_version: 1 },
    'the trace',
  );
  t.equal(trace?.new_home_score, null, 'the trace has no new score');

  // The ordinary lifecycle applies again, and a correction of a non-settled event is refused.
  await rejectsWith(t, correct(sql, id, 'completed', 1, 0, 'x'), { code: 'SL004' });
  await sql`update core.event set status = 'in_progress' where event_id = ${id}`;
  const [done] = await sql<{ completed_at: Date | null; result_version: number }[]>`
    update core.event set status = 'completed', home_score = 10, away_score = 13 where event_id = ${id}
    returning completed_at, result_version`;
  t.ok(done?.completed_at, 'completing it again stamps completed_at');
  t.equal(done?.result_version, 1, 'a plain completion leaves result_version alone');

  const c = await game(sql, w, 'g2', 'cancelled');
  await correct(sql, c, 'postponed', null, null, 'postponed, not cancelled');
  t.match(await eventRow(sql, c), { status: 'postponed', result_version: 1 }, 'cancelled -> postponed by correction');
  await sql`update core.event set status = 'scheduled' where event_id = ${c}`;
  t.pass('and then the lifecycle goes on');
});

t.test('a race correction moves runners and records their positions before and after', async (t) => {
  const { sql } = await testDb(t);
  const w = await world(sql);
  const id = await race(sql, w, 'r1', 'completed');
  await rejectsWith(t, correct(sql, id, 'completed', 1, 0, 'a race has no score'), {
    code: '23514',
    constraint: 'event_race_has_no_teams',
  });

  // Runner 1 disqualified after the stewards' inquiry: 2 wins, 3 second.
  const [ret] = await correct(sql, id, 'completed', null, null, 'stewards inquiry', { '1': null, '2': 1, '3': 2 });
  t.match(ret, { old_status: 'completed', new_status: 'completed', result_version: 1 }, 'returns the trace');
  const runners = await sql<{ number: number; status: string; finish_position: number | null }[]>`
    select number, status, finish_position from core.runner where event_id = ${id} order by number`;
  t.same(
    runners,
    [
      { number: 1, status: 'did_not_finish', finish_position: null },
      { number: 2, status: 'finished', finish_position: 1 },
      { number: 3, status: 'finished', finish_position: 2 },
    ],
    'the runners have their corrected places',
  );
  const [trace] = await traces(sql, id);
  t.same(trace?.old_runner_positions, { '1': 1, '2': 2, '3': 3 }, 'the trace has the positions before');
  t.same(trace?.new_runner_positions, { '1': null, '2': 1, '3': 2 }, 'and after');
  t.equal((await eventRow(sql, id))?.result_version, 1, 'result_version bumped');

  // Only the runners that move are recorded.
  await correct(sql, id, 'completed', null, null, 'dead heat for first', { '2': 1, '3': 1 });
  const [, second] = await traces(sql, id);
  t.same(second?.old_runner_positions, { '3': 2 }, 'only runner 3 moved');
  t.same(second?.new_runner_positions, { '3': 1 }, 'to a dead heat');
  t.equal((await eventRow(sql, id))?.result_version, 2, 'result_version bumped again');

  await rejectsWith(t, sql`update core.runner set finish_position = 3 where event_id = ${id} and number = 3`, {
    code: 'SL002',
  });
  t.pass('after a correction the positions are locked again');
});
