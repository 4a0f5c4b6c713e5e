import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { syncSources } from '../src/ingest/sync.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { collect } from './helpers/log.ts';

const data = (file: string) => path.join(repoRoot, 'data', file);

t.test('the configured sources load in order; a failing one does not stop the others', async (t) => {
  const { sql } = await testDb(t);
  await sql`
    insert into ingest.source (feed, location, load_order, enabled) values
      ('nfl_players', ${data('nfl_players_2024.csv')}, 20, true),
      ('nfl_games', ${data('nfl_games_2024_2025.csv')}, 10, true),
      ('football_data', ${data('no_such_file.csv')}, 30, true),
      ('hkjc_results', ${data('hkjc_results_2024-01-01.csv')}, 40, false)`;
  const logs: string[] = [];
  const results = await syncSources(sql, collect(logs));
  t.same(
    results.map((r) => [r.feed, r.batch?.inserted ?? null, r.error ? 'failed' : 'ok']),
    [
      ['nfl_games', 557, 'ok'],
      ['nfl_players', 1996, 'ok'],
      ['football_data', null, 'failed'],
    ],
    'schedule before rosters (load_order), the broken source reported, the disabled one skipped',
  );
  t.match(results[2]?.error, /ENOENT/);
  const sources = await sql<{ feed: string; status: string | null }[]>`
    select s.feed, b.status from ingest.source s left join ingest.batch b on b.batch_id = s.last_batch_id order by s.load_order`;
  t.same(
    sources.map((s) => [s.feed, s.status]),
    [
      ['nfl_games', 'completed'],
      ['nfl_players', 'completed'],
      ['football_data', 'failed'],
      ['hkjc_results', null],
    ],
    'each source points at its last batch',
  );
  const again = await syncSources(sql);
  t.same(
    again.filter((r) => r.batch).map((r) => [r.batch?.inserted, r.batch?.updated]),
    [
      [0, 0],
      [0, 0],
    ],
    'a second sync changes nothing',
  );
});

t.test('ingest.source refuses bad rows by named constraints', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`insert into ingest.source (feed, location) values ('nope', 'x.csv')`, {
    code: '23503',
    constraint: 'source_feed_fk',
  });
  await rejectsWith(t, sql`insert into ingest.source (feed, location) values ('nfl_games', ' ')`, {
    code: '23514',
    constraint: 'source_location_given',
  });
  await sql`insert into ingest.source (feed, location) values ('nfl_games', 'x.csv')`;
  await rejectsWith(t, sql`insert into ingest.source (feed, location) values ('nfl_games', 'x.csv')`, {
    code: '23505',
    constraint: 'source_feed_location_key',
  });
  await rejectsWith(t, sql`update ingest.source set last_batch_id = 424242`, { code: '23503', constraint: 'source_last_batch_fk' });
});
