// football_data: the bookmakers' opening and closing prices as odds snapshots, through
// the COPY path, in the load's transaction; kept in core.event.metadata->'odds' too.
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { readCsv } from '../src/ingest/csv.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { testDb } from './helpers/db.ts';

const EPL = path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv');
const PREFIXES = {
  bet365: 'B365',
  bet_and_win: 'BW',
  interwetten: 'IW',
  pinnacle: 'PS',
  william_hill: 'WH',
  vc_bet: 'VC',
  market_average: 'Avg',
  market_max: 'Max',
} as const;

/** Expected snapshots recomputed from the file: 3 per source and opening/closing with all three prices. */
async function expectedSnapshots(): Promise<{ total: number; bySource: Record<string, number> }> {
  const bySource: Record<string, number> = {};
  let header: string[] = [];
  let total = 0;
  for await (const r of readCsv(createReadStream(EPL))) {
    if ('header' in r) {
      header = r.header;
      continue;
    }
    if (!('values' in r)) continue;
    const v = r.values as Record<string, string> | string[];
    const get = (c: string) => (Array.isArray(v) ? v[header.indexOf(c)] : v[c]) ?? '';
    for (const [source, prefix] of Object.entries(PREFIXES)) {
      for (const p of [prefix, `${prefix}C`]) {
        if (['H', 'D', 'A'].every((s) => Number(get(`${p}${s}`)) > 1)) {
          bySource[source] = (bySource[source] ?? 0) + 3;
          total += 3;
        }
      }
    }
  }
  return { total, bySource };
}

t.test('football_data prices become odds snapshots, once', async (t) => {
  const { sql } = await testDb(t);
  t.ok((await fs.stat(EPL)).size > 0);
  const expected = await expectedSnapshots();
  t.ok(expected.total > 18000, `the file has ${expected.total} prices (380 matches x 8 sources x opening/closing x 3)`);

  const first = await loadFile(sql, feeds.football_data!, EPL);
  t.equal(first.inserted, 380);
  const bySource = await sql<{ code: string; n: number }[]>`
    select s.code, count(*)::int as n from market.odds_snapshot o join market.source s using (source_id) group by s.code order by s.code`;
  t.same(Object.fromEntries(bySource.map((r) => [r.code, r.n])), expected.bySource, 'every price, by source');

  const lfc = await sql<{ source: string; selection: string; observed_at: Date; back: string; ltp: string }[]>`
    select src.code as source, s.code as selection, o.observed_at, o.back_price::text as back, o.last_traded_price::text as ltp
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'match_result'
      join market.selection s on s.market_id = m.market_id
      join market.odds_snapshot o on o.selection_id = s.selection_id
      join market.source src on src.source_id = o.source_id
     where e.external_id = 'epl_2019-20_20190809_Liverpool_Norwich' and src.code in ('bet365', 'pinnacle') and s.code = 'home'
     order by src.code, o.observed_at`;
  t.same(
    lfc.map((r) => [r.source, r.observed_at.toISOString(), r.back, r.ltp]),
    [
      ['bet365', '2019-08-07T19:00:00.000Z', '1.1400', '1.1400'],
      ['bet365', '2019-08-09T18:55:00.000Z', '1.1400', '1.1400'],
      ['pinnacle', '2019-08-07T19:00:00.000Z', '1.1500', '1.1500'],
      ['pinnacle', '2019-08-09T18:55:00.000Z', '1.1400', '1.1400'],
    ],
    'opening at kick-off (20:00 BST) - 48 h, closing at kick-off - 5 min',
  );
  const [meta] = await sql<{ odds: Record<string, unknown> }[]>`
    select metadata -> 'odds' as odds from core.event where external_id = 'epl_2019-20_20190809_Liverpool_Norwich'`;
  t.same(meta?.odds.bet365, { home: 1.14, draw: 10, away: 19 }, 'and still in metadata->odds (bookmaker_favourite reads it)');
  const [where] = await sql<{ in_default: number; parts: number }[]>`
    select count(*) filter (where tableoid = 'market.odds_snapshot_default'::regclass)::int as in_default,
           count(distinct tableoid)::int as parts from market.odds_snapshot`;
  t.equal(where?.in_default, 0, 'nothing in the default partition: the loader made the 2019-20 days');
  t.ok(where!.parts > 50, `${where!.parts} daily partitions`);

  const again = await loadFile(sql, feeds.football_data!, EPL);
  t.same([again.inserted, again.updated], [0, 0], 're-run: inserted 0, updated 0');
  const [n] = await sql<
    { n: number; orphans: string }[]
  >`select count(*)::int as n, maint.dq_orphaned_odds()::text as orphans from market.odds_snapshot`;
  t.same(n, { n: expected.total, orphans: '0' }, 'and no snapshot added');

  // Policy: raw odds are kept 2 years, so partition maintenance drops these 2019-20
  // snapshots (data/README.md; retention is tested in test/partition-maintenance.test.ts).
});
