import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { testDb } from './helpers/db.ts';

const NFL = path.join(repoRoot, 'data', 'nfl_games_2024_2025.csv');
const EPL = path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv');

t.test('an interrupted chunked load resumes after its last committed chunk, in the same batch', async (t) => {
  const { sql } = await testDb(t);
  const feed = feeds.nfl_games!;
  const events = async () => (await sql<{ n: number }[]>`select count(*)::int as n from core.event`)[0]?.n;

  let chunks = 0;
  await t.rejects(
    loadFile(sql, feed, NFL, {
      chunkRows: 100,
      afterChunk: () => {
        if (++chunks === 2) throw new Error('the process was killed');
      },
    }),
    /the process was killed\n {2}batch \d+ is resumable: run the same load again to continue after line 201/,
  );
  t.equal(await events(), 200, 'two chunks of 100 games committed');
  const [running] = await sql<
    { batch_id: string; status: string; inserted: number }[]
  >`select batch_id, status, inserted from ingest.batch`;
  t.same([running?.status, running?.inserted], ['running', 200], 'the batch is still running, with the counts so far');
  const [cp] = await sql<{ position: string; status: string }[]>`
    select position::text, status from refresh.checkpoint where function_name = 'ingest.nfl_games' and target = ${NFL}`;
  t.same(cp, { position: '201', status: 'active' }, 'the checkpoint: the last committed line');

  const resumed = await loadFile(sql, feed, NFL, { chunkRows: 100 });
  t.equal(resumed.batch_id, running?.batch_id, 'the same batch');
  t.same(
    [resumed.status, resumed.inserted, resumed.updated, resumed.unchanged],
    ['completed', 557, 0, 0],
    'counts add up to the whole file',
  );
  t.equal(await events(), 557);
  const [done] = await sql<{ status: string }[]>`select status from refresh.checkpoint where function_name = 'ingest.nfl_games'`;
  t.equal(done?.status, 'completed');

  const again = await loadFile(sql, feed, NFL, { chunkRows: 100 });
  t.not(again.batch_id, resumed.batch_id, 'a later load is a new batch');
  t.same([again.inserted, again.updated, again.unchanged], [0, 0, 557], 'and changes nothing');

  await t.rejects(loadFile(sql, feeds.football_data!, EPL, { chunkRows: 100 }), /football_data needs the whole file in one merge/);
});
