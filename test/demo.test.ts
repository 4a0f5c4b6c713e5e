import t from 'tap';
import { demoSteps, runDemo, sampleFiles } from '../src/demo.ts';
import { testDb } from './helpers/db.ts';

t.test('the demo loads the sample data and prints the summary', async (t) => {
  const db = await testDb(t);
  let out = '';
  const logs: string[] = [];
  await runDemo({ url: db.url, out: (s) => (out += s + '\n'), log: (m) => logs.push(m) });
  t.same(
    demoSteps.map((s) => s.name),
    ['load the sample data', 'summary'],
    'the steps, in order',
  );
  t.equal(logs.filter((l) => l.startsWith('loaded ')).length, sampleFiles.length, 'every sample file loaded');
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

  // A second run: the loads change nothing.
  let again = '';
  await runDemo({ url: db.url, out: (s) => (again += s + '\n'), log: () => {} });
  const loads = again.split('\n').filter((l) => /^\s+\d+\s+(nfl_games|football_data|nfl_players|hkjc_results)\s/.test(l));
  t.equal(loads.length, 4, 'four loads reported');
  for (const l of loads) t.match(l, /^\s+\d+\s+\S+\s+0\s+0\s+\d+\s+\d+\s/, `re-run inserts and updates nothing: ${l.trim()}`);
});
