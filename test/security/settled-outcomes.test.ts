// Attack (issue 12, item 8): the worker silently changes settled outcomes — flips a
// selection's result, voids a settled market, swaps the teams of a completed event — or
// deletes markets and their users' picks with them. Every such change is refused for
// roles without owner authority (SL006, SL007, SL008, SL009); corrections go through
// core.correct_event_result or market.correct_market, which leave a trace and re-score; and
// a data-quality check shows any score that disagrees with its selection.
import path from 'node:path';
import t from 'tap';
import postgres from 'postgres';
import { repoRoot } from '../../src/embedded.ts';
import { feeds, loadFile } from '../../src/ingest/load.ts';
import { games, league, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { makeRace } from '../helpers/timeseries.ts';
import { compareAll, generate, generateUserPicks, refreshAll, scoreAll } from '../helpers/stats-recompute.ts';

const CHECK = 'forecast_scores_agree_with_selections';

t.test('the worker cannot change settled outcomes or delete users’ picks; nothing changes, the checks say 0', async (t) => {
  const { sql } = await testDb(t);
  await generate(sql);
  t.ok((await generateUserPicks(sql)) > 50, 'the generated users pick');
  await scoreAll(sql);
  await refreshAll(sql, false);
  const [e] = await sql<{ event_id: number; market_id: number; other_season: number; other_comp: number }[]>`
    select ev.event_id::int, m.market_id::int,
           (select s.season_id from core.season s where s.competition_id <> ev.competition_id limit 1) as other_season,
           (select s.competition_id from core.season s where s.competition_id <> ev.competition_id limit 1) as other_comp
      from core.event ev join market.market m on m.event_id = ev.event_id and m.market_type = 'match_result' and m.status = 'settled'
     where ev.status = 'completed'
       and exists (select from forecast.prediction p join forecast.forecaster f using (forecaster_id) where p.market_id = m.market_id and f.kind = 'user')
     order by ev.event_id limit 1`;
  t.ok(e, 'a completed event with a settled market and users’ picks');
  const state = () => sql`
    select (select count(*)::int from forecast.prediction p join forecast.forecaster f using (forecaster_id) where f.kind = 'user') as user_picks,
           (select count(*)::int from forecast.prediction) as predictions,
           (select count(*)::int from market.market) as markets,
           (select count(*)::int from market.selection) as selections,
           (select count(*)::int from core.event) as events,
           (select count(*)::int from core.event_correction) as event_corrections,
           (select string_agg(s.selection_id || ':' || coalesce(s.result, '-'), ',' order by s.selection_id) from market.selection s) as results,
           (select string_agg(m.market_id || ':' || m.status, ',' order by m.market_id) from market.market m) as statuses,
           (select string_agg(ps.prediction_id || ':' || ps.outcome || ':' || ps.points, ',' order by ps.prediction_id) from forecast.prediction_score ps) as scores,
           (select row(home_team_id, away_team_id, competition_id, season_id, kind)::text from core.event where event_id = ${e!.event_id}) as event`;
  const before = await state();

  const attacks: [string, string, RegExp][] = [
    [
      `update market.selection set result = case result when 'won' then 'lost' else 'won' end where market_id = ${e!.market_id}`,
      'SL007',
      /result is written by settlement/,
    ],
    [`update market.market set status = 'void' where market_id = ${e!.market_id}`, 'SL008', /settled by market\.settle_event/],
    [`update market.market set status = 'open', settled_at = null where market_id = ${e!.market_id}`, 'SL008', /settled/],
    [
      `update core.event set home_team_id = away_team_id, away_team_id = home_team_id where event_id = ${e!.event_id}`,
      'SL006',
      /teams, competition, season and kind/,
    ],
    [
      `update core.event set competition_id = ${e!.other_comp}, season_id = ${e!.other_season}, week_number = null where event_id = ${e!.event_id}`,
      'SL006',
      /completed/,
    ],
    [`update core.event set kind = 'game' where event_id = ${e!.event_id}`, 'SL006', /completed/],
    [
      `delete from market.market m where exists (select from forecast.prediction p join forecast.forecaster f using (forecaster_id)
                                                  where p.market_id = m.market_id and f.kind = 'user')`,
      'SL009',
      /user picks/,
    ],
    [`delete from market.selection where market_id = ${e!.market_id}`, 'SL009', /user picks|scored/],
    [`delete from core.event where event_id = ${e!.event_id}`, 'SL009', /user picks/],
  ];
  for (const [attack, code, message] of attacks) {
    await rejectsWith(
      t,
      asRole(sql, 'worker', async (tx) => {
        await tx`select set_config('scoreline.correcting_event', ${String(e!.event_id)}, true)`;
        await tx.unsafe(attack);
      }),
      { code, message },
      `worker: ${attack.replace(/\s+/g, ' ').slice(0, 90)}`,
    );
  }
  t.same(await state(), before, 'no pick, market, selection, result, score or event changed; no event correction was recorded');
  const [mc] = await sql<{ n: number }[]>`select count(*)::int as n from market.market_correction`;
  t.equal(mc!.n, 0, 'no market correction was recorded');

  // re-scoring everything changes nothing, and every statistic equals its recomputation
  await scoreAll(sql);
  await refreshAll(sql, false);
  t.same(await state(), before, 'scoring again changes nothing');
  await compareAll(t, sql);
  const [check] = await sql<{ query: string; expected: string }[]>`select query, expected::text from refresh."check" where name = ${CHECK}`;
  t.ok(check, `the check ${CHECK} is registered`);
  const [v] = await sql.unsafe<{ v: string }[]>(`select (${check!.query})::text as v`);
  t.equal(v!.v, '0', 'and says 0');
});

t.test('the worker cannot open a way out of a settled status in core.event_status_transition', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'st', teams: 4 });
  const [g] = await games(sql, lg, 1);
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g!.event_id}`;
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`insert into core.event_status_transition (from_status, to_status) values ('completed', 'abandoned')`),
    { code: '42501' },
    'the worker cannot add a transition',
  );
  // even one the owner added lets no plain update out of a settled status
  await sql`insert into core.event_status_transition (from_status, to_status) values ('completed', 'abandoned')`;
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`update core.event set status = 'abandoned' where event_id = ${g!.event_id}`),
    { code: 'SL001', message: /status cannot go from completed to abandoned/ },
    'the worker abandoning a completed game (voiding every market) is refused',
  );
  const [ev] = await sql<{ status: string }[]>`select status from core.event where event_id = ${g!.event_id}`;
  t.equal(ev!.status, 'completed', 'the game is still completed');
});

t.test('a runner with users’ picks cannot be deleted by the worker', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql, { runners: 3, start: new Date(Date.now() + 86400_000).toISOString() });
  const ann = await user(sql, 'ann');
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${race.selections[0]!})`, ann);
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`delete from core.runner where runner_id = ${race.runners[0]!}`),
    { code: 'SL009', message: /user picks/ },
    'the runner (and so its selection and the pick) stays',
  );
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`;
  t.equal(n!.n, 1, 'the pick is there');
  await asRole(sql, 'worker', (tx) => tx`delete from core.runner where runner_id = ${race.runners[2]!}`);
  t.pass('a runner without picks or bets is deleted by the worker (a scratched entry, say)');
});

t.test('a score that disagrees with its selection is counted by the registered check', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'dq', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const ann = await user(sql, 'ann');
  await sql`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${g!.home})`;
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g!.event_id}`;
  await sql`select forecast.score_event(${g!.event_id})`;
  const [check] = await sql<{ query: string; severity: string }[]>`select query, severity from refresh."check" where name = ${CHECK}`;
  const value = async () => (await sql.unsafe<{ v: string }[]>(`select (${check!.query})::text as v`))[0]!.v;
  t.equal(await value(), '0', 'healthy: 0');
  t.equal(check!.severity, 'error', 'an error-level check');
  // the owner (a superuser here) can still write anything: a disagreement it leaves is seen
  await sql`update market.selection set result = 'lost' where selection_id = ${g!.home}`;
  t.equal(await value(), '1', 'a selection flipped under its score: 1');
  await sql`update market.selection set result = 'won' where selection_id = ${g!.home}`;
  await sql`update forecast.prediction_score set outcome = 'loss'`;
  t.equal(await value(), '1', 'a score rewritten under its selection: 1');
});

t.test('market.correct_market corrects a binary market with a trace and re-scores it', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'cm', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const [mk] = await sql<
    { id: number }[]
  >`insert into market.market (event_id, market_type) values (${g!.event_id}, 'binary') returning market_id::int as id`;
  const sels = await sql<{ id: number; code: string }[]>`
    insert into market.selection (market_id, code, label) values (${mk!.id}, 'yes', 'Yes'), (${mk!.id}, 'no', 'No') returning selection_id::int as id, code`;
  const yes = sels.find((s) => s.code === 'yes')!.id;
  const ann = await user(sql, 'ann');
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${yes}, 2.0)`, ann);
  const outcome = async () => (await sql<{ outcome: string | null }[]>`select outcome from forecast.prediction_score`)[0]?.outcome ?? null;

  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select market.correct_market(${mk!.id}, 'settled', '{"yes": "won", "no": "lost"}', 'resolved')`),
    { code: '42501' },
    'the worker may not call it',
  );
  const [first] = await asRole(
    sql,
    'owner',
    (tx) => tx<{ old_status: string; new_status: string; new_results: Record<string, string>; corrected_by: string }[]>`
      select (c).old_status, (c).new_status, (c).new_results, (c).corrected_by
        from (select market.correct_market(${mk!.id}, 'settled', '{"yes": "won", "no": "lost"}', 'resolved by the exchange') as c) x`,
  );
  t.same(
    [first!.old_status, first!.new_status, first!.new_results],
    ['open', 'settled', { yes: 'won', no: 'lost' }],
    'the owner resolves it, with a trace',
  );
  t.ok(first!.corrected_by, 'the trace says who');
  t.equal(await outcome(), 'win', 'and the pick is scored: win');

  await asRole(
    sql,
    'owner',
    (tx) => tx`select market.correct_market(${mk!.id}, 'settled', '{"yes": "lost", "no": "won"}', 'the exchange reversed it')`,
  );
  t.equal(await outcome(), 'loss', 'a correction re-scores: loss');
  await asRole(sql, 'owner', (tx) => tx`select market.correct_market(${mk!.id}, 'void', null, 'the question was cancelled')`);
  t.equal(await outcome(), 'void', 'voided: void');
  const [traces] = await sql<{ n: number }[]>`select count(*)::int as n from market.market_correction where market_id = ${mk!.id}`;
  t.equal(traces!.n, 3, 'three traces');

  await rejectsWith(
    t,
    asRole(sql, 'owner', (tx) => tx`select market.correct_market(${mk!.id}, 'void', null, 'again')`),
    { code: 'SL012' },
    'a correction that changes nothing',
  );
  await rejectsWith(
    t,
    asRole(sql, 'owner', (tx) => tx`select market.correct_market(${g!.market_id}, 'void', null, 'x')`),
    { code: 'SL011', message: /core\.correct_event_result/ },
    'a match_result market follows its event: corrected with core.correct_event_result',
  );
  await rejectsWith(
    t,
    asRole(sql, 'owner', (tx) => tx`select market.correct_market(${-1}, 'void', null, 'x')`),
    { code: 'SL010' },
    'an unknown market',
  );
  await rejectsWith(
    t,
    asRole(sql, 'owner', (tx) => tx`select market.correct_market(${mk!.id}, 'settled', '{"yes": "won"}', 'x')`),
    { code: '22023', message: /every selection/ },
    'a settled market needs a result for every selection',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'owner',
      (tx) => tx`select market.correct_market(${mk!.id}, 'settled', '{"yes": "won", "maybe": "lost", "no": "lost"}', 'x')`,
    ),
    { code: '22023', message: /no selection/ },
    'an unknown selection code',
  );
  await rejectsWith(
    t,
    asRole(sql, 'owner', (tx) => tx`select market.correct_market(${mk!.id}, 'settled', '{"yes": "won", "no": "lost"}', ' ')`),
    { code: '23514', constraint: 'market_correction_reason_given' },
    'a reason is required',
  );
});

t.test('market.market_correction: the trace refuses what is not one', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'mt', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const row = (over: Record<string, string>) => ({
    market_id: String(g!.market_id),
    reason: 'x',
    old_status: 'open',
    new_status: 'void',
    old_results: '{}',
    new_results: '{}',
    ...over,
  });
  const insert = (r: Record<string, string>) =>
    sql`insert into market.market_correction (market_id, reason, old_status, new_status, old_results, new_results)
        values (${r.market_id!}, ${r.reason!}, ${r.old_status!}, ${r.new_status!}, ${r.old_results!}::text::jsonb, ${r.new_results!}::text::jsonb)`;
  await rejectsWith(t, insert(row({ market_id: '-1' })), { code: '23503', constraint: 'market_correction_market_fk' });
  await rejectsWith(t, insert(row({ reason: '  ' })), { code: '23514', constraint: 'market_correction_reason_given' });
  await rejectsWith(t, insert(row({ old_results: '[]' })), { code: '23514', constraint: 'market_correction_old_results_is_object' });
  await rejectsWith(t, insert(row({ new_results: '"won"' })), { code: '23514', constraint: 'market_correction_new_results_is_object' });
  const [ok] = await sql<{ id: number; by: string }[]>`
    insert into market.market_correction (market_id, reason, old_status, new_status, old_results, new_results)
    values (${g!.market_id}, 'x', 'open', 'void', '{}', '{}') returning correction_id::int as id, corrected_by as by`;
  t.equal(ok!.by, (await sql<{ u: string }[]>`select session_user as u`)[0]!.u, 'corrected_by defaults to the login');
  await rejectsWith(
    t,
    sql`insert into market.market_correction (correction_id, market_id, reason, old_status, new_status, old_results, new_results)
        overriding system value values (${ok!.id}, ${g!.market_id}, 'x', 'open', 'void', '{}', '{}')`,
    { code: '23505', constraint: 'market_correction_pkey' },
  );
});

t.test('a feed row giving a settled game other teams or another season is rejected, not applied', async (t) => {
  // The shipped feeds cannot express it (their ids carry the teams and season), so the row a
  // feed's merge would build is written into pg_temp.ingest_want by hand.
  const db = await testDb(t);
  const { sql } = db;
  const url = new URL(db.url);
  url.searchParams.set('options', '-c role=scoreline_worker');
  const loader = postgres(url.toString(), { max: 1, onnotice: () => {} });
  t.teardown(() => loader.end());
  await loadFile(loader, feeds.nfl_games!, path.join(repoRoot, 'data', 'nfl_games_2024_2025.csv'));
  const [batch] = await sql<{ batch_id: string }[]>`
    insert into ingest.batch (feed, location) values ('nfl_games', 'hand-made') returning batch_id`;
  const event = () => sql`select * from core.event where external_id = '2024_01_BAL_KC'`;
  const before = await event();
  const result = await loader.begin(async (tx) => {
    await tx`create temporary table ingest_want on commit drop as
             select 2 as line_number, 'hand-made' as raw, e.external_id, e.kind, e.competition_id, e.season_id, e.week_number,
                    e.stage, e.round, e.name, e.scheduled_start, e.status, e.away_team_id as home_team_id, e.home_team_id as away_team_id,
                    e.home_score, e.away_score, '{}'::jsonb as metadata
               from core.event e where e.external_id = '2024_01_BAL_KC'`;
    const [r] = await tx<{ inserted: number; updated: number }[]>`select * from ingest.merge_events(${batch!.batch_id})`;
    return r!;
  });
  t.same([result.inserted, result.updated], [0, 0], 'merge_events (as the worker) changes nothing');
  const [why] = await sql<{ reason: string }[]>`select reason from ingest.rejected_row where batch_id = ${batch!.batch_id}`;
  t.match(why?.reason, /2024_01_BAL_KC is completed: the feed gives it other teams/, 'the line is rejected, saying why');
  t.same(await event(), before, 'the game is unchanged');
});
