import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { testDb } from './helpers/db.ts';

const HKJC = path.join(repoRoot, 'data', 'hkjc_results_2024-01-01.csv');

t.test('the real Sha Tin meeting: 10 races, 124 runners, dead heat, pulled up; a re-run changes nothing', async (t) => {
  const { sql } = await testDb(t);
  const feed = feeds.hkjc_results!;
  const batch = await loadFile(sql, feed, HKJC);
  t.same([batch.status, batch.inserted, batch.updated, batch.unchanged, batch.rejected], ['completed', 124, 0, 0, 0]);

  const races = await sql<{ external_id: string; status: string; season: string; is_current: boolean; runners: number; start: Date }[]>`
    select e.external_id, e.status, s.label as season, s.is_current, e.scheduled_start as start,
           (select count(*)::int from core.runner r where r.event_id = e.event_id) as runners
      from core.event e join core.season s using (season_id) order by e.scheduled_start`;
  t.equal(races.length, 10, '10 races');
  t.same(
    [races[0]?.external_id, races[0]?.status, races[0]?.season, races[0]?.is_current, races[0]?.runners],
    ['hkjc_20240101_ST_R1', 'completed', '2023-24', true, 13],
  );
  t.equal(races[0]?.start.toISOString(), '2024-01-01T04:30:00.000Z', '12:30 Hong Kong time (estimated: the file has no post times)');
  t.equal(
    races.reduce((n, r) => n + r.runners, 0),
    124,
  );

  const [winner] = await sql<{ name: string; external_id: string; draw: number; weight: string; finish_time: string; odds: unknown }[]>`
    select r.name, r.external_id, r.draw, r.weight::text, r.finish_time::text, r.metadata -> 'odds' as odds
      from core.runner r join core.event e using (event_id)
     where e.external_id = 'hkjc_20240101_ST_R1' and r.finish_position = 1`;
  t.same(winner, { name: '光年八十', external_id: 'H170', draw: 1, weight: '125.00', finish_time: '00:01:09.8', odds: { hkjc_win: 2.3 } });

  const deadHeat = await sql<{ number: number; position: number; dh: boolean }[]>`
    select r.number, r.finish_position as position, (r.metadata ->> 'dead_heat')::boolean as dh
      from core.runner r join core.event e using (event_id)
     where e.external_id = 'hkjc_20240101_ST_R5' and r.finish_position = 7 order by r.number`;
  t.same(
    deadHeat.map((r) => [r.number, r.position, r.dh]),
    [
      [1, 7, true],
      [11, 7, true],
    ],
    '"7 平頭馬" is a dead heat for seventh',
  );
  const [pu] = await sql<{ status: string; position: number | null }[]>`
    select r.status, r.finish_position as position from core.runner r join core.event e using (event_id)
     where e.external_id = 'hkjc_20240101_ST_R6' and r.number = 6`;
  t.same(pu, { status: 'did_not_finish', position: null }, 'PU: pulled up');

  const [markets] = await sql<{ markets: number; selections: number }[]>`
    select count(distinct m.market_id)::int as markets, count(s.selection_id)::int as selections
      from market.market m join market.selection s using (market_id) where m.market_type = 'race_win'`;
  t.same(markets, { markets: 10, selections: 124 }, 'a race_win market per race, a selection per runner');

  const again = await loadFile(sql, feed, HKJC);
  t.same([again.inserted, again.updated, again.unchanged, again.rejected], [0, 0, 124, 0], 're-run: inserted 0, updated 0');

  // A corrected result: the winner and the second swap places in a later file.
  const lines = (await fs.readFile(HKJC, 'utf8')).trimEnd().split('\n');
  const swapped = lines.map((l, i) =>
    i === 1 ? l.replace(/,1,1,光年八十/, ',2,1,光年八十') : i === 2 ? l.replace(/,2,13,快狠準/, ',1,13,快狠準') : l,
  );
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-hkjc-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'corrected.csv');
  await fs.writeFile(file, swapped.join('\n'));
  const fixed = await loadFile(sql, feed, file);
  t.same([fixed.inserted, fixed.updated, fixed.unchanged, fixed.rejected], [0, 2, 122, 0], 'exactly the two runners updated');
  const [trace] = await sql<{ result_version: number; reason: string; winner: number }[]>`
    select e.result_version, c.reason, (select r.number from core.runner r where r.event_id = e.event_id and r.finish_position = 1) as winner
      from core.event e join core.event_correction c using (event_id) where e.external_id = 'hkjc_20240101_ST_R1'`;
  t.equal(trace?.result_version, 1, 'through core.correct_event_result');
  t.equal(trace?.winner, 13, 'the new winner');
  t.match(trace?.reason, /corrected by ingest batch \d+, lines 2, 3/);
});

t.test('bad racing rows are kept with their reason', async (t) => {
  const { sql } = await testDb(t);
  const [header, r1, r2, r3, r4] = (await fs.readFile(HKJC, 'utf8')).split('\n');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-hkjc-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.csv');
  await fs.writeFile(
    file,
    [header, r1, r2!.replace(',沙田,', ',東京,'), r3!.replace(/,3,4,帥炸/, ',X,4,帥炸'), r4!.replace('1:10.23', '1.10:23')].join('\n'),
  );
  const batch = await loadFile(sql, feeds.hkjc_results!, file);
  t.same([batch.inserted, batch.rejected], [1, 3]);
  const rows = await sql<{ line_number: number; reason: string }[]>`
    select line_number, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
  t.match(rows, [
    { line_number: 3, reason: /^venue: is not a Hong Kong venue/ },
    { line_number: 4, reason: /^place: is not a place/ },
    { line_number: 5, reason: /^finish_time: is not a finish time/ },
  ]);
});
