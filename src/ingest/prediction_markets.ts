// Feeds polymarket_markets and kalshi_markets: prediction-market markets in their
// documented JSON shapes, merged into market.external_market (one row per outcome) by
// ingest.merge_polymarket_markets / ingest.merge_kalshi_markets. Linking them to our
// selections (market.external_market.selection_id) is a separate step; a load never
// unlinks. Price history belongs to the odds time series and is not loaded here.
//
// Polymarket (Gamma API, a list of markets): id, question, conditionId, slug, endDate,
// active, closed, and outcomes / outcomePrices as JSON-encoded strings
// ("[\"Yes\",\"No\"]", "[\"0.0075\",\"0.9925\"]").
// Kalshi (trade API, {"markets": [...]}): ticker, event_ticker, title, status, open_time,
// close_time, result ("yes", "no" or ""), and dollar-string prices (yes_bid_dollars,
// yes_ask_dollars, last_price_dollars: "0.5600").
import { z } from 'zod';
import { defineFeed, text, type BatchRow } from './feed.ts';

const timestamp = z.iso.datetime({ offset: true, message: 'is not an ISO 8601 timestamp' });
const optionalTimestamp = z.preprocess((v) => (v === '' || v === null ? undefined : v), timestamp.optional()).transform((v) => v ?? null);

/** A JSON-encoded array of strings, as the Gamma API sends outcomes and prices. */
const encodedStrings = z.string().transform((v, ctx) => {
  try {
    const parsed: unknown = JSON.parse(v);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'is not a JSON-encoded list of strings' });
  return z.NEVER;
});

const polymarketSchema = z
  .object({
    id: z.union([z.string().min(1), z.number().int()]).transform(String),
    question: text,
    conditionId: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'is not a condition id (0x and 64 hex digits)'),
    slug: z.string().nullish(),
    endDate: optionalTimestamp,
    active: z.boolean(),
    closed: z.boolean(),
    outcomes: encodedStrings,
    outcomePrices: encodedStrings,
  })
  .superRefine((m, ctx) => {
    if (m.outcomes.length < 2) ctx.addIssue({ code: 'custom', path: ['outcomes'], message: 'a market has two outcomes or more' });
    if (m.outcomePrices.length !== m.outcomes.length) {
      ctx.addIssue({ code: 'custom', path: ['outcomePrices'], message: 'has not one price per outcome' });
    }
    m.outcomePrices.forEach((p) => {
      const n = Number(p);
      if (p.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', path: ['outcomePrices'], message: `price ${JSON.stringify(p)} is not between 0 and 1` });
      }
    });
  })
  .transform((m) => ({
    market_id: m.id,
    condition_id: m.conditionId,
    question: m.question,
    slug: m.slug ?? null,
    end_date: m.endDate,
    active: m.active,
    closed: m.closed,
    outcomes: m.outcomes,
    prices: m.outcomePrices.map(Number),
  }));

export const polymarketMarkets = defineFeed({
  code: 'polymarket_markets',
  description: 'Polymarket markets (Gamma API JSON)',
  format: 'json',
  requiredColumns: [],
  stagingTable: 'ingest.stage_polymarket_markets',
  schema: polymarketSchema,
  columns: ['market_id', 'condition_id', 'question', 'slug', 'end_date', 'active', 'closed', 'outcomes', 'prices'],
  chunkable: true,
  async merge(tx, batchId, final) {
    const [batch] = await tx<BatchRow[]>`select * from ingest.merge_polymarket_markets(${batchId}, ${final})`;
    return batch!;
  },
});

const dollars = z
  .preprocess(
    (v) => (v === '' || v === null ? undefined : v),
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'is not a dollar price like "0.5600"')
      .transform(Number)
      .pipe(z.number().max(1, 'is above 1 dollar'))
      .optional(),
  )
  .transform((v) => v ?? null);

const kalshiSchema = z
  .object({
    ticker: z.string().regex(/^[A-Z0-9][A-Z0-9._-]*$/, 'is not a Kalshi ticker'),
    event_ticker: z.string().nullish(),
    title: text,
    status: z.string().regex(/^[a-z_]+$/, 'is not a market status'),
    open_time: optionalTimestamp,
    close_time: optionalTimestamp,
    result: z.preprocess(
      (v) => (v === '' || v === null ? undefined : v),
      z.enum(['yes', 'no'], 'is not a result (yes, no or empty)').optional(),
    ),
    yes_bid_dollars: dollars,
    yes_ask_dollars: dollars,
    last_price_dollars: dollars,
  })
  .transform((m) => ({
    ticker: m.ticker,
    event_ticker: m.event_ticker ?? null,
    title: m.title,
    status: m.status,
    open_time: m.open_time,
    close_time: m.close_time,
    result: m.result ?? null,
    yes_bid: m.yes_bid_dollars,
    yes_ask: m.yes_ask_dollars,
    last_price: m.last_price_dollars,
  }));

export const kalshiMarkets = defineFeed({
  code: 'kalshi_markets',
  description: 'Kalshi markets (trade API JSON)',
  format: 'json',
  requiredColumns: [],
  stagingTable: 'ingest.stage_kalshi_markets',
  schema: kalshiSchema,
  columns: ['ticker', 'event_ticker', 'title', 'status', 'open_time', 'close_time', 'result', 'yes_bid', 'yes_ask', 'last_price'],
  chunkable: true,
  async merge(tx, batchId, final) {
    const [batch] = await tx<BatchRow[]>`select * from ingest.merge_kalshi_markets(${batchId}, ${final})`;
    return batch!;
  },
});
