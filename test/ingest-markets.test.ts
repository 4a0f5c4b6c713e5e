// Prediction-market feeds, from fixtures written in the documented shapes (no real
// sample file exists): Polymarket Gamma API markets and Kalshi trade API markets.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { readJsonObjects } from '../src/ingest/json.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { Readable } from 'node:stream';

const cond = (d: string) => `0x${d.repeat(64)}`;

const polymarket = [
  {
    id: '501',
    question: 'Will the Chiefs win Super Bowl LIX?',
    conditionId: cond('a'),
    slug: 'chiefs-super-bowl-lix',
    endDate: '2025-02-09T23:30:00Z',
    active: true,
    closed: true,
    outcomes: '["Yes","No"]',
    outcomePrices: '["0","1"]',
  },
  {
    id: 502,
    question: 'Will Liverpool win the 2019-20 Premier League?',
    conditionId: cond('b'),
    slug: null,
    endDate: '2020-07-26T15:00:00Z',
    active: true,
    closed: false,
    outcomes: '["Yes","No"]',
    outcomePrices: '["0.0075","0.9925"]',
  },
  {
    id: '503',
    question: 'Broken prices',
    conditionId: cond('c'),
    active: true,
    closed: false,
    outcomes: '["Yes","No"]',
    outcomePrices: '["0.4"]',
  },
  {
    id: '504',
    question: 'Bad id',
    conditionId: '0x12',
    active: true,
    closed: false,
    outcomes: '["Yes","No"]',
    outcomePrices: '["0.5","0.5"]',
  },
];

const kalshi = {
  markets: [
    {
      ticker: 'KXNFLGAME-25SEP07KCLAC-KC',
      event_ticker: 'KXNFLGAME-25SEP07KCLAC',
      title: 'Kansas City at Los Angeles C Winner?',
      status: 'finalized',
      open_time: '2025-08-20T14:00:00Z',
      close_time: '2025-09-06T03:00:00Z',
      result: 'no',
      yes_bid_dollars: '0.0000',
      yes_ask_dollars: '0.0100',
      last_price_dollars: '0.0100',
    },
    {
      ticker: 'KXNFLGAME-25DEC25DALWAS-DAL',
      event_ticker: 'KXNFLGAME-25DEC25DALWAS',
      title: 'Dallas at Washington Winner?',
      status: 'active',
      open_time: '2025-11-20T14:00:00Z',
      close_time: '2025-12-26T03:00:00Z',
      result: '',
      yes_bid_dollars: '0.5600',
      yes_ask_dollars: '0.5800',
      last_price_dollars: '0.5700',
    },
    { ticker: 'KX-BAD', title: 'Bad price', status: 'active', result: 'maybe', yes_bid_dollars: '1.5000' },
  ],
  cursor: '',
};

async function write(t: Test, name: string, content: unknown): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-markets-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  await fs.writeFile(file, JSON.stringify(content, null, 2));
  return file;
}

t.test('Polymarket markets: one external market row per outcome, resolved from settled prices', async (t) => {
  const { sql } = await testDb(t);
  const file = await write(t, 'polymarket.json', polymarket);
  const batch = await loadFile(sql, feeds.polymarket_markets!, file);
  t.same([batch.status, batch.inserted, batch.updated, batch.unchanged, batch.rejected], ['completed', 2, 0, 0, 2]);
  const rows = await sql<{ external_id: string; outcome: string; status: string; resolution: string | null; price: number }[]>`
    select m.external_id, m.outcome, m.status, m.resolution, (m.metadata ->> 'price')::float8 as price
      from market.external_market m join market.source s using (source_id)
     where s.code = 'polymarket' order by m.external_id, m.outcome`;
  t.same(
    rows.map((r) => [r.external_id.slice(0, 3), r.outcome, r.status, r.resolution, r.price]),
    [
      ['0xa', 'No', 'closed', 'won', 1],
      ['0xa', 'Yes', 'closed', 'lost', 0],
      ['0xb', 'No', 'open', null, 0.9925],
      ['0xb', 'Yes', 'open', null, 0.0075],
    ],
  );
  const bad = await sql<{ line_number: number; reason: string }[]>`
    select line_number, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
  t.match(bad, [{ reason: /^outcomePrices: has not one price per outcome/ }, { reason: /^conditionId: is not a condition id/ }]);
  t.ok(bad[0]!.line_number > 1, 'rejected objects keep the line they start on');

  const again = await loadFile(sql, feeds.polymarket_markets!, file);
  t.same([again.inserted, again.updated, again.unchanged], [0, 0, 2], 're-run: inserted 0, updated 0');

  // The market closes: Liverpool won the league.
  const closed = polymarket.slice(0, 2).map((m) => (m.id === 502 ? { ...m, closed: true, outcomePrices: '["1","0"]' } : m));
  const later = await loadFile(sql, feeds.polymarket_markets!, await write(t, 'later.json', closed));
  t.same([later.inserted, later.updated, later.unchanged], [0, 1, 1], 'the resolved market is an update');
  const [yes] = await sql<{ resolution: string; resolved_at: Date }[]>`
    select resolution, resolved_at from market.external_market where external_id = ${cond('b')} and outcome = 'Yes'`;
  t.equal(yes?.resolution, 'won');
  t.equal(yes?.resolved_at.toISOString(), '2020-07-26T15:00:00.000Z');
});

t.test('Kalshi markets: yes and no per ticker, the result resolves them', async (t) => {
  const { sql } = await testDb(t);
  const file = await write(t, 'kalshi.json', kalshi);
  const batch = await loadFile(sql, feeds.kalshi_markets!, file);
  t.same([batch.inserted, batch.updated, batch.unchanged, batch.rejected], [2, 0, 0, 1]);
  const rows = await sql<{ external_id: string; outcome: string; status: string; resolution: string | null; yes_bid: number }[]>`
    select external_id, outcome, status, resolution, (metadata ->> 'yes_bid')::float8 as yes_bid
      from market.external_market order by external_id, outcome`;
  t.same(
    rows.map((r) => [r.external_id, r.outcome, r.status, r.resolution, r.yes_bid]),
    [
      ['KXNFLGAME-25DEC25DALWAS-DAL', 'no', 'active', null, 0.56],
      ['KXNFLGAME-25DEC25DALWAS-DAL', 'yes', 'active', null, 0.56],
      ['KXNFLGAME-25SEP07KCLAC-KC', 'no', 'finalized', 'won', 0],
      ['KXNFLGAME-25SEP07KCLAC-KC', 'yes', 'finalized', 'lost', 0],
    ],
  );
  const [bad] = await sql<{ reason: string }[]>`select reason from ingest.rejected_row where batch_id = ${batch.batch_id}`;
  t.match(bad?.reason, /result: is not a result \(yes, no or empty\).*yes_bid_dollars: is above 1 dollar/);
  const again = await loadFile(sql, feeds.kalshi_markets!, file);
  t.same([again.inserted, again.updated, again.unchanged], [0, 0, 2], 're-run: inserted 0, updated 0');
});

t.test('a merge needs its source', async (t) => {
  const { sql } = await testDb(t);
  const [b] = await sql<
    { id: string }[]
  >`insert into ingest.batch (feed, location) values ('kalshi_markets', 'x.json') returning batch_id as id`;
  await sql`delete from market.source where code = 'kalshi'`;
  await rejectsWith(t, sql`select ingest.merge_kalshi_markets(${b!.id})`, { code: 'SL104', message: /source kalshi is not defined/ });
});

t.test('the JSON reader: objects of a root array or of arrays under the root object, strings with braces, any chunking', async (t) => {
  const doc = '\ufeff{"markets": [\n {"a": "x}\\"{", "b": [1, {"c": 2}]},\n {"a": 2}\n], "cursor": "{"}';
  for (const size of [1, 3, 1000]) {
    const parts: Buffer[] = [];
    for (let i = 0; i < doc.length; i += size) parts.push(Buffer.from(doc.slice(i, i + size)));
    const out: unknown[] = [];
    for await (const r of readJsonObjects(Readable.from(parts))) out.push(r);
    t.same(
      out,
      [
        { line: 2, raw: '{"a": "x}\\"{", "b": [1, {"c": 2}]}', value: { a: 'x}"{', b: [1, { c: 2 }] } },
        { line: 3, raw: '{"a": 2}', value: { a: 2 } },
      ],
      `chunks of ${size}`,
    );
  }
  const broken: unknown[] = [];
  for await (const r of readJsonObjects(Readable.from(['[{"id": 1}, {"id": 2,}]']))) broken.push(r);
  t.match(broken, [{ value: { id: 1 } }, { line: 1, error: /^not JSON/ }], 'an object that is not JSON is an error record');
});
