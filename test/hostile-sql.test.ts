// Hostile input through the SQL entry points: injection strings stored verbatim and never
// executed, NUL bytes refused, NaN / Infinity / 1e309 / negative odds and stakes refused by
// name, far-away timestamps refused, hostile JSON (duplicate keys, deep nesting, 10 MB)
// given a clear error. After each refusal nothing was half-written and the victim tables exist.
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { games, league, models } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { corpus, victimCounts } from './fixtures/hostile/corpus.ts';

async function noSleeper(t: Test, sql: Sql): Promise<void> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity where query ilike '%pg_sleep(10)%' and pid <> pg_backend_pid()`;
  t.equal(row?.n, 0, 'no injected pg_sleep is running');
}

t.test('injection strings are data: stored and read back verbatim, never executed', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'inj', teams: 2 });
  const before = await victimCounts(sql);
  for (const [i, s] of corpus.injection.entries()) {
    const [team] = await sql<{ name: string }[]>`
      insert into core.team (sport_id, code, name)
      select sport_id, ${`INJ${i}`}, ${s} from core.competition where competition_id = ${lg.competitionId}
      returning name`;
    t.equal(team?.name, s, `team name ${JSON.stringify(s)} round-trips`);
    if (s.trim() !== '') {
      const [f] = await sql<{ name: string }[]>`
        insert into forecast.forecaster (kind, name, version, model_type) values ('model', ${s}, '1', ${s}) returning name`;
      t.equal(f?.name, s, `forecaster name ${JSON.stringify(s)} round-trips`);
    }
  }
  const after = await victimCounts(sql);
  t.equal(after['core.team'], before['core.team']! + corpus.injection.length, 'every team row is there');
  t.equal(after['core.event'], before['core.event'], 'core.event untouched');
  await noSleeper(t, sql);

  for (const s of corpus.nul) {
    await rejectsWith(
      t,
      sql`insert into forecast.forecaster (kind, name, version, model_type) values ('model', ${s}, '1', 'x')`,
      { code: '22021' },
      `a NUL byte in ${JSON.stringify(s)} is refused (22021)`,
    );
  }
  t.same(await victimCounts(sql), after, 'the refused rows left nothing behind');
});

t.test('core.correct_event_result with hostile status, reason and runner positions', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'cor', teams: 2 });
  const [g] = await games(sql, lg, 1);
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g!.event_id}`;
  const before = await victimCounts(sql);
  for (const s of corpus.injection) {
    await rejectsWith(
      t,
      sql`select core.correct_event_result(${g!.event_id}, ${s}, 2::smallint, 0::smallint, 'x')`,
      { code: '22023', message: /a correction sets status/ },
      `status ${JSON.stringify(s)} refused (22023)`,
    );
  }
  // duplicate keys, injection keys, deep nesting, huge: on a game, positions are refused before anything is read
  const positions = ['{"1": 1, "1": 2}', `{"'; drop table core.event; --": 1}`, '[1, 2]', '{"1": "NaN"}', '{"1": 1e309}'];
  for (const p of positions) {
    await rejectsWith(
      t,
      sql`select core.correct_event_result(${g!.event_id}, 'completed', 2::smallint, 0::smallint, 'x', ${p}::text::jsonb)`,
      { code: '22023' },
      `runner positions ${p} refused (22023)`,
    );
  }
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  await rejectsWith(
    t,
    sql`select core.correct_event_result(${g!.event_id}, 'completed', 2::smallint, 0::smallint, 'x', ${deep}::text::jsonb)`,
    { code: '54001' },
    'JSON nested 100,000 deep: stack depth limit (54001), the session lives on',
  );
  await rejectsWith(
    t,
    sql`select core.correct_event_result(${g!.event_id}, 'completed', 'NaN'::numeric::smallint, 0::smallint, 'x')`,
    { code: '0A000', message: /cannot convert NaN to smallint/ },
    'a NaN score cannot even become a smallint (0A000)',
  );
  await rejectsWith(
    t,
    sql`select core.correct_event_result(${g!.event_id}, 'completed', 2::smallint, 0::smallint, ${'why\u0000'})`,
    { code: '22021' },
    'a NUL in the reason (22021)',
  );
  t.same(await victimCounts(sql), before, 'nothing written by the refused corrections');
  const [ev] = await sql<{ result_version: number; home_score: number }[]>`
    select result_version, home_score from core.event where event_id = ${g!.event_id}`;
  t.same(ev, { result_version: 0, home_score: 1 }, 'the event is as it was');

  // an injection string as the reason is stored verbatim
  const reason = corpus.injection[0]!;
  await sql`select core.correct_event_result(${g!.event_id}, 'completed', 2::smallint, 0::smallint, ${reason})`;
  const [c] = await sql<{ reason: string }[]>`select reason from core.event_correction where event_id = ${g!.event_id}`;
  t.equal(c?.reason, reason, 'the reason is stored as text');
  t.equal((await victimCounts(sql))['core.event'], before['core.event'], 'core.event still there, same rows');
});

t.test('predictions: NaN, Infinity, 1e309, negative stakes and far-away timestamps refused by name', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'pred', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [m] = await models(sql, ['m']);
  const insert = (cols: Record<string, string | number>) =>
    sql`insert into forecast.prediction ${sql({ forecaster_id: m!, selection_id: g!.home, ...cols })}`;
  // timestamps go as text so that PostgreSQL, not the client, parses them
  const at = (when: string) =>
    sql`insert into forecast.prediction (forecaster_id, selection_id, predicted_at) values (${m!}, ${g!.home}, ${when}::text::timestamptz)`;
  const before = await victimCounts(sql);

  await rejectsWith(t, insert({ odds: 'NaN' }), { code: '23514', constraint: 'prediction_odds_above_one' }, 'NaN odds');
  await rejectsWith(t, insert({ stake: 'NaN' }), { code: '23514', constraint: 'prediction_stake_non_negative' }, 'NaN stake');
  await rejectsWith(t, insert({ probability: 'NaN' }), { code: '23514', constraint: 'prediction_probability_range' }, 'NaN probability');
  await rejectsWith(
    t,
    insert({ probability: 'Infinity' }),
    { code: '23514', constraint: 'prediction_probability_range' },
    'Infinity probability',
  );
  for (const v of ['Infinity', '-Infinity', '1e309']) {
    await rejectsWith(t, insert({ odds: v }), { code: '22003' }, `odds ${v}: numeric field overflow`);
    await rejectsWith(t, insert({ stake: v }), { code: '22003' }, `stake ${v}: numeric field overflow`);
  }
  await rejectsWith(t, insert({ stake: -1 }), { code: '23514', constraint: 'prediction_stake_non_negative' }, 'negative stake');
  await rejectsWith(t, insert({ odds: '-0' }), { code: '23514', constraint: 'prediction_odds_above_one' }, '-0 odds');
  for (const v of ['1,5', 'one']) {
    await rejectsWith(t, insert({ odds: v }), { code: '22P02' }, `odds ${JSON.stringify(v)}: not a number`);
  }
  await rejectsWith(t, at('infinity'), { code: 'SL032' }, "predicted_at 'infinity' is in the future");
  await rejectsWith(t, at('294277-01-01 00:00:00+00'), { code: '22008' }, 'year 294277 is out of range');
  await rejectsWith(t, at('4714-11-23 00:00:00+00 BC'), { code: '22008' }, 'before 4714 BC is out of range');
  await rejectsWith(t, at(corpus.timestamps.at(-1)!), { code: '22007' }, 'an injection as a timestamp');
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, selection_id, features) values (${m!}, ${g!.home}, ${'{"a": 1, "a": [' + '['.repeat(100_000) + ']'.repeat(100_000) + ']}'}::text::jsonb)`,
    { code: '54001' },
    'features nested 100,000 deep',
  );
  t.same(await victimCounts(sql), before, 'no prediction written by any refused insert');

  // a 10 MB features object with a duplicate key: accepted, last key wins (jsonb), the row is whole
  const big = 'x'.repeat(10 * 1024 * 1024);
  await sql`insert into forecast.prediction (forecaster_id, selection_id, features)
            values (${m!}, ${g!.home}, ${JSON.stringify({ note: 'first' }).slice(0, -1) + `, "note": ${JSON.stringify(big)}}`}::text::jsonb)`;
  const [row] = await sql<{ len: number; keys: number }[]>`
    select length(features->>'note') as len, (select count(*)::int from jsonb_object_keys(features)) as keys
      from forecast.prediction where forecaster_id = ${m!}`;
  t.same(row, { len: big.length, keys: 1 }, 'duplicate key: one key, the last value, all 10 MB of it');
});

t.test('trade bets: NaN, Infinity, negative stakes and timestamps refused', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'bet', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [st] = await sql<{ strategy_id: number }[]>`
    insert into trade.strategy (name, version) values (${corpus.injection[0]!}, '1') returning strategy_id`;
  const [src] = await sql<{ source_id: number }[]>`select source_id from market.source order by source_id limit 1`;
  const bet = (cols: Record<string, string | number>) =>
    sql`insert into trade.bet ${sql({ strategy_id: st!.strategy_id, selection_id: g!.home, source_id: src!.source_id, side: 'back', odds: 2, stake: 10, ...cols })}`;
  const betAt = (when: string) =>
    sql`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, placed_at)
        values (${st!.strategy_id}, ${g!.home}, ${src!.source_id}, 'back', 2, 10, ${when}::text::timestamptz)`;
  const before = await victimCounts(sql);
  await rejectsWith(t, bet({ odds: 'NaN' }), { code: '23514', constraint: 'bet_odds_above_one' }, 'NaN odds');
  await rejectsWith(t, bet({ stake: 'NaN' }), { code: '23514', constraint: 'bet_stake_positive' }, 'NaN stake');
  await rejectsWith(t, bet({ odds: 'Infinity' }), { code: '22003' }, 'Infinity odds');
  await rejectsWith(t, bet({ stake: '1e309' }), { code: '22003' }, '1e309 stake');
  await rejectsWith(t, bet({ stake: -5 }), { code: '23514', constraint: 'bet_stake_positive' }, 'negative stake');
  await rejectsWith(t, bet({ stake: '-0' }), { code: '23514', constraint: 'bet_stake_positive' }, '-0 stake');
  await rejectsWith(t, bet({ side: corpus.injection[0]! }), { code: '23514', constraint: 'bet_side_known' }, 'injection as the side');
  await rejectsWith(t, betAt('infinity'), { code: '22008', message: /not a point in time/ }, "placed_at 'infinity'");
  await rejectsWith(t, betAt('-infinity'), { code: '22008', message: /not a point in time/ }, "placed_at '-infinity'");
  await rejectsWith(t, betAt('294277-01-01 00:00:00+00'), { code: '22008' }, 'year 294277');
  t.same(await victimCounts(sql), before, 'no bet written');
  await bet({ external_ref: corpus.injection[1]! });
  const [b] = await sql<{ external_ref: string }[]>`select external_ref from trade.bet`;
  t.equal(b?.external_ref, corpus.injection[1], 'a good bet with an injection as its reference is stored verbatim');
});

t.test('worker.add_job and the refresh registry with hostile names', async (t) => {
  const { sql } = await testDb(t);
  const before = await victimCounts(sql);
  for (const s of corpus.injection) {
    await rejectsWith(
      t,
      sql`select worker.add_job(${s}, '{}'::json)`,
      { code: 'SL120', message: /no worker task named/ },
      `task ${JSON.stringify(s)}`,
    );
  }
  await rejectsWith(t, sql`select worker.add_job('refresh', ${'{"a": 1'}::text::json)`, { code: '22P02' }, 'a malformed JSON payload');
  await rejectsWith(
    t,
    sql`select worker.add_job('refresh', '{}'::json, p_job_key => 'k', p_job_key_mode => ${corpus.injection[0]!})`,
    { code: 'GWBKM', message: /Invalid job_key_mode/ },
    'an injection as the job key mode (graphile-worker refuses it)',
  );
  t.same(await victimCounts(sql), before, 'no job added by the refused calls');

  for (const s of corpus.injection.slice(0, 4)) {
    await rejectsWith(
      t,
      sql`insert into refresh.object (object, kind, method) values (${s}::regclass, 'table', 'full')`,
      { code: s === '$$' ? '42P01' : '42602' },
      `object ${JSON.stringify(s)} is no relation`,
    );
  }
  const [reg] = await sql<{ object: string }[]>`select object::text from refresh.object order by object::text limit 1`;
  t.ok(reg, 'a registered object to tamper with');
  const obj = reg!.object;
  for (const s of corpus.injection.slice(0, 3)) {
    await rejectsWith(
      t,
      sql`update refresh.object set parameters = ${sql.json({ statement_timeout: s })} where object = ${obj}::regclass`,
      { code: 'SL062', message: /must be a duration/ },
      `statement_timeout ${JSON.stringify(s)} refused`,
    );
    await rejectsWith(
      t,
      sql`update refresh.object set method = 'function', refresh_function = ${s} where object = ${obj}::regclass`,
      { code: 'SL061' },
      `refresh_function ${JSON.stringify(s)} refused`,
    );
  }
  t.same(await victimCounts(sql), before, 'the registry is as it was, the victims are there');
  await noSleeper(t, sql);
});
