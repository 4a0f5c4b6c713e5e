// football_data on the real files of every era (test/fixtures/football-data), part 2:
// Serie A 2003-04 and Eredivisie 2002-03 (ragged rows), Primeira Liga 2010-11 (unnamed
// columns), Scottish Premier 1996-97 (results only, lines of commas), La Liga 2011-12, Süper
// Lig 2007-08. Part 1: test/ingest-eras.test.ts.
import t from 'tap';
import { testDb } from './helpers/db.ts';
import { loadEvery } from './helpers/football-data.ts';

t.test('real football-data files of every era load: 0 rejected, every price; a re-run changes nothing', async (t) => {
  const { sql } = await testDb(t);
  await loadEvery(t, sql, ['I1_2003-04.csv', 'N1_2002-03.csv', 'P1_2010-11.csv', 'SC0_1996-97.csv', 'SP1_2011-12.csv', 'T1_2007-08.csv']);
});
