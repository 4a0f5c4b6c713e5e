// The COPY path for odds snapshots: partitions first, then one COPY statement.
import t from 'tap';
import { copyLine, copyOddsSnapshots, type OddsSnapshot } from '../src/ingest/odds-copy.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { makeRace, sourceId } from './helpers/timeseries.ts';

t.test('snapshots are copied into daily partitions made for them', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql, { runners: 2 });
  const betfair = await sourceId(sql, 'betfair');
  const rows: OddsSnapshot[] = [];
  for (let i = 0; i < 5000; i++) {
    rows.push({
      observedAt: new Date(Date.parse('2019-08-09T23:00:00Z') + i * 1000),
      selectionId: race.selections[i % 2]!,
      sourceId: betfair,
      backPrice: (2 + (i % 10) / 10).toFixed(2),
      backSize: i % 3 === 0 ? null : 100,
      layPrice: 3.05,
      laySize: '50.5',
      lastTradedPrice: i % 7 === 0 ? null : 2.5,
      volume: i * 2,
    });
  }
  const result = await copyOddsSnapshots(sql, rows);
  t.same(result, { rows: 5000, partitionsCreated: 2 }, 'two UTC days: 9 and 10 August 2019');
  const parts = await sql<{ part: string; n: number }[]>`
    select tableoid::regclass::text as part, count(*)::int as n from market.odds_snapshot group by 1 order by 1`;
  t.same(
    parts,
    [
      { part: 'market.odds_snapshot_p20190809', n: 3600 },
      { part: 'market.odds_snapshot_p20190810', n: 1400 },
    ],
    'nothing in the default partition',
  );
  const [sample] = await sql<{ back_size: string | null; lay_size: string; last_traded_price: string | null }[]>`
    select back_size::text, lay_size::text, last_traded_price::text from market.odds_snapshot
     where observed_at = '2019-08-09T23:00:00Z'`;
  t.same(sample, { back_size: null, lay_size: '50.50', last_traded_price: null }, 'nulls and decimals survive');
  const again = await copyOddsSnapshots(sql, []);
  t.same(again, { rows: 0, partitionsCreated: 0 }, 'nothing to copy, nothing done');
});

t.test('a stream states its range', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql, { runners: 1 });
  const betfair = await sourceId(sql, 'betfair');
  async function* stream(): AsyncGenerator<OddsSnapshot> {
    for (let i = 0; i < 10; i++) {
      yield {
        observedAt: new Date(Date.parse('2024-01-01T00:00:00Z') + i * 60_000),
        selectionId: race.selections[0]!,
        sourceId: betfair,
        backPrice: 2,
      };
    }
  }
  await t.rejects(copyOddsSnapshots(sql, stream()), /needs its time range/);
  const result = await copyOddsSnapshots(sql, stream(), { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-01T00:09:00Z') });
  t.same(result, { rows: 10, partitionsCreated: 1 });
});

t.test('bad snapshots fail the whole COPY', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql, { runners: 1 });
  const betfair = await sourceId(sql, 'betfair');
  const good = { observedAt: new Date('2024-01-01T00:00:00Z'), selectionId: race.selections[0]!, sourceId: betfair, backPrice: 2 };
  await rejectsWith(t, copyOddsSnapshots(sql, [good, { ...good, observedAt: new Date('2024-01-01T00:00:01Z'), backPrice: 1 }]), {
    code: '23514',
    constraint: 'odds_snapshot_back_price_above_one',
  });
  await rejectsWith(t, copyOddsSnapshots(sql, [good, good]), { code: '23505', constraint: 'odds_snapshot_p20240101_pkey' });
  await rejectsWith(t, copyOddsSnapshots(sql, [good, { ...good, selectionId: 999999 }, { ...good, selectionId: 999998 }]), {
    code: 'SL105',
    message: /^odds snapshots for 2 unknown selection\(s\) 999998, 999999 and 0 unknown source\(s\) -: nothing was loaded$/,
  });
  await rejectsWith(t, copyOddsSnapshots(sql, [{ ...good, sourceId: 999 }]), {
    code: 'SL105',
    message: /^odds snapshots for 0 unknown selection\(s\) - and 1 unknown source\(s\) 999: nothing was loaded$/,
  });
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_snapshot`;
  t.equal(n?.n, 0, 'no row of a failed COPY stays');
  t.throws(() => copyLine({ ...good, backPrice: '2\t3' }), /backPrice must be a number/);
  t.throws(() => copyLine({ ...good, observedAt: new Date('nope') }), /valid Date/);
});
