// The configured sources (ingest.source), loaded one after the other: what the nightly
// sync runs. A source that fails (unreachable URL, wrong file) is logged and recorded on
// its batch; the others still load.
import type { Sql } from '../db.ts';
import { silent, type Logger } from '../log.ts';
import type { BatchRow } from './feed.ts';
import { feeds, loadFile } from './load.ts';

export interface SourceResult {
  source_id: number;
  feed: string;
  location: string;
  batch?: BatchRow;
  error?: string;
}

/** Load every enabled source in load order; returns one result per source. */
export async function syncSources(sql: Sql, log: Logger = silent): Promise<SourceResult[]> {
  const sources = await sql<{ source_id: number; feed: string; location: string }[]>`
    select source_id, feed, location from ingest.source where enabled order by load_order, source_id`;
  const results: SourceResult[] = [];
  for (const s of sources) {
    const feed = feeds[s.feed];
    if (!feed) {
      const error = `source ${s.source_id}: feed ${s.feed} has no loader in this version`;
      log('warn', error);
      results.push({ ...s, error });
      continue;
    }
    try {
      const batch = await loadFile(sql, feed, s.location);
      results.push({ ...s, batch });
      log(
        'info',
        `source ${s.source_id} (${s.feed} ${s.location}): ${batch.inserted} inserted, ${batch.updated} updated, ${batch.rejected} rejected`,
      );
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      results.push({ ...s, error });
      log('warn', `source ${s.source_id} (${s.feed} ${s.location}) failed: ${error}`);
    }
    // The batch just made for this source, whether it completed or failed.
    await sql`
      update ingest.source set last_batch_id = (
        select max(b.batch_id) from ingest.batch b where b.feed = ${s.feed} and b.location = ${s.location})
       where source_id = ${s.source_id}`;
  }
  return results;
}
