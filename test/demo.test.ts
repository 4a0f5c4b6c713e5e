import t from 'tap';
import { demoSteps, runDemo, sampleFiles } from '../src/demo/run.ts';
import { silent } from '../src/log.ts';
import { testDb } from './helpers/db.ts';
import { collect } from './helpers/log.ts';

t.test('the demo loads the sample data and prints the summary', async (t) => {
  const db = await testDb(t);
  let out = '';
  const logs: string[] = [];
  await runDemo({ url: db.url, out: (s) => (out += s + '\n'), log: collect(logs) });
  t.same(
    demoSteps.map((s) => s.name),
    [
      "load the NFL schedule, holding back the current season's results",
      'load the other sample data',
      'predict: baseline models and demo users',
      'start the worker',
      'score the events loaded finished',
      'results arrive week by week',
      'wait until every view is fresh',
      'race meeting: odds, bets, settlement, performance',
      'summary',
      'leaderboard and refresh status',
    ],
    'the steps, in order',
  );
  t.equal(logs.filter((l) => l.startsWith('loaded ')).length, sampleFiles.length, 'every sample file loaded');
  t.ok(
    logs.includes(
      'loaded nfl_games_2024_2025.csv with the 193 results of 2025 held back: 557 inserted, 0 updated, 0 unchanged, 0 rejected',
    ),
    'the 2025 results held back at first',
  );
  t.equal(
    logs.filter((l) => /^2025 week \d+: \d+ results arrived \(0 rejected\)$/.test(l)).length,
    13,
    'then they arrive in 13 weekly files, in kick-off order',
  );
  t.match(
    out,
    /Freshness: 193 results arrived in 13 weekly files; after the last one, the model-stats views were current in [\d.]+ s/,
    'the time from the last completion to fresh views is printed',
  );
  const board = out.split('\n').filter((l) => /^\s+(bookmaker_favourite|elo|always_home|random)\s+573\s/.test(l));
  t.equal(board.length, 4, 'the leaderboard: the four baseline models, 573 current-season matches each (193 NFL 2025 games + 380 EPL)');
  t.match(out, /^\s+stats\.user_leaderboard\s+\S+\s+fresh\b/m, 'refresh.status: the leaderboard is fresh');
  t.notMatch(out, /^\s+stats\.\S+\s+\S+\s+(stale|failed|blocked)\b/m, 'and nothing is stale, failed or blocked');
  t.match(out, /Race meeting \(Sha Tin\): 10 races, 124 win prices, 49 bets, 49 settled/, 'the race meeting: odds, bets and settlement');
  const [scored] = await db.sql<{ events: number; unscored: number }[]>`
    select count(distinct ps.event_id)::int as events,
           (select count(*)::int from forecast.prediction p join market.market m using (market_id) join core.event e using (event_id)
             where e.status = 'completed' and m.status in ('settled', 'void')
               and not exists (select from forecast.prediction_score s where s.prediction_id = p.prediction_id)) as unscored
      from forecast.prediction_score ps`;
  t.equal(scored?.unscored, 0, 'every prediction on a settled market was scored by the worker');
  const [td] = await db.sql<{ games: number; labelled: number; picks: number; unscored: number }[]>`
    select count(*)::int as games, count(*) filter (where source = 'demo data: drawn, not the real scorer')::int as labelled,
           (select count(*)::int from forecast.prediction p join market.market m using (market_id) where m.market_type = 'first_td_scorer') as picks,
           (select count(*)::int from forecast.prediction p join market.market m using (market_id)
             where m.market_type = 'first_td_scorer' and not exists (select from forecast.prediction_score s where s.prediction_id = p.prediction_id)) as unscored
      from forecast.first_touchdown`;
  t.ok(td!.games > 0 && td!.labelled === td!.games, `first touchdowns of ${td?.games} games recorded, each labelled demo data`);
  t.same([td?.picks, td?.unscored], [192, 0], "the demo users' 192 first-touchdown picks are all scored");
  const users = await db.sql<{ handle: string; predictions: number }[]>`
    select handle, predictions from stats.user_leaderboard order by handle`;
  t.same(
    users.map((u) => u.handle),
    ['demo_user_1', 'demo_user_2', 'demo_user_3'],
    'stats.user_leaderboard has the three demo users',
  );
  t.ok(
    users.every((u) => u.predictions === 64),
    '64 scored picks each',
  );
  t.match(
    out,
    /User leaderboard \(stats\.user_leaderboard; the first touchdowns the picks are scored on are demo data, drawn\)\n\s+season\s+user/,
  );
  t.match(out, /^\s+2024\s+demo_user_\d\s+64\s/m, 'and the demo prints it');
  const [named] = await db.sql<{ model_name: string; win_rate: string; win_rate_exact: string }[]>`
    select model_name, win_rate::text, win_rate_exact::text from stats.mv_model_stats_overall where model_name = 'elo'`;
  t.match(
    named,
    { model_name: 'elo', win_rate: /^0\.\d{4}$/, win_rate_exact: /^0\.\d{10,}$/ },
    'the views name the model and round what people read',
  );
  t.ok((scored?.events ?? 0) >= 858, `the worker scored ${scored?.events} events`);
  const line = (re: RegExp) => out.split('\n').some((l) => re.test(l));
  t.ok(line(/^\s+nfl\s+NFL\s+american_football$/), 'competition nfl');
  t.ok(line(/^\s+epl\s+Premier League\s+football$/), 'competition epl');
  t.ok(line(/^\s+nfl\s+2024\s+22\s+285$/), 'NFL 2024: 22 weeks, 285 games, not current');
  t.ok(line(/^\s+nfl\s+2025\s+\*\s+18\s+272$/), 'NFL 2025 current, 272 games');
  t.ok(line(/^\s+epl\s+2019-20\s+\*\s+38\s+380$/), 'EPL 2019-20: 38 matchdays, 380 matches');
  t.ok(line(/^\s+nfl\s+2024\s+regular\s+completed\s+272$/), '272 regular-season games');
  t.ok(line(/^\s+nfl\s+2024\s+postseason\s+completed\s+13$/), '13 post-season games');
  t.ok(line(/^\s+nfl\s+2025\s+regular\s+completed\s+193$/), '2025 played games');
  t.ok(line(/^\s+nfl\s+2025\s+regular\s+scheduled\s+79$/), '2025 unplayed games');
  t.ok(line(/^\s+american_football\s+32$/), '32 NFL teams');
  t.ok(line(/^\s+football\s+20$/), '20 clubs');
  t.ok(line(/^\s+hkjc\s+2023-24\s+\*\s+0\s+10$/), 'the Sha Tin meeting: 10 races in season 2023-24');
  t.ok(line(/^\s+hkjc\s+2023-24\s+regular\s+completed\s+10$/), '10 completed races');
  t.ok(line(/^Players: 1996, roster rows: 1996, race runners: 124$/), 'players, rosters and runners');

  // A second run: the loads change nothing, and what it prints is true of this run.
  let again = '';
  await runDemo({ url: db.url, out: (s) => (again += s + '\n'), log: silent });
  const loads = again.split('\n').filter((l) => /^\s+\d+\s+(nfl_games|football_data|nfl_players|hkjc_results)\s/.test(l));
  t.equal(loads.length, 4, 'four loads reported');
  for (const l of loads) t.match(l, /^\s+\d+\s+\S+\s+0\s+0\s+\d+\s+\d+\s/, `re-run inserts and updates nothing: ${l.trim()}`);
  t.match(
    again,
    /Freshness: no results arrived in this run \(the 2025 season was loaded by an earlier one; make reset starts over from an empty database\); every derived object was fresh [\d.]+ s after the run started\./,
    'the second run prints a freshness line that says why nothing was timed',
  );
  t.match(
    again,
    /Race meeting \(Sha Tin\): 10 races, 124 win prices, 49 bets, 49 settled \(this run: 0 bets placed, 0 settled; the rest by an earlier run\)\n/,
    'the race meeting counts the bets that are there (no "0 bets" above a list of 49)',
  );
  t.notMatch(again, /\b0 bets, 0 settled\b/);
  t.match(again, /^\s+2024\s+demo_user_\d\s+64\s/m, 'the user leaderboard is the same');
  t.equal(
    again.split('\n').filter((l) => /^\s+(bookmaker_favourite|elo|always_home|random)\s+573\s/.test(l)).length,
    4,
    'and so is the model leaderboard',
  );
});
