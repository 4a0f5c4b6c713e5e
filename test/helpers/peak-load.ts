// A load in a process of its own, for tests that measure memory: `node --import tsx
// test/helpers/peak-load.ts FEED FILE` loads FILE with FEED into DATABASE_URL and prints
// one JSON line: the batch and the process's peak resident set size (MB).
import { connect } from '../../src/db.ts';
import { feeds, loadFile } from '../../src/ingest/load.ts';

const [feed, file] = process.argv.slice(2);
const sql = connect(process.env.DATABASE_URL!, { max: 2, onNotice: () => {} });
try {
  const batch = await loadFile(sql, feeds[feed!]!, file!);
  console.log(JSON.stringify({ batch, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
} finally {
  await sql.end();
}
