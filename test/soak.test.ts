// The load-and-fault soak of `make soak` (bench/soak.ts), briefly: completions, corrections,
// prediction deletes and feed re-loads race a worker SIGKILLed at random; after the drain every
// check is 0 (refresh.run_checks, scores behind results without grace, stats = recomputation,
// incremental = full, scores and bet settlements = a re-scoring from scratch).
import t from 'tap';
import { formatSoak, runSoak, SOAK_INTENDED } from '../bench/soak.ts';
import { testDb } from './helpers/db.ts';

t.test('10 s of load against a worker SIGKILLed every 1-3 s: nothing lost, every check 0', async (t) => {
  const { url } = await testDb(t);
  const r = await runSoak({ database: url, seconds: 10, events: 60, killMinMs: 1_000, killMaxMs: 3_000 });
  for (const op of ['completions', 'corrections', 'prediction deletes', 'feed re-loads']) {
    t.ok((r.operations[op] ?? 0) > 0, `${op} ran (${r.operations[op] ?? 0})`);
  }
  t.ok(r.kills >= 1, `the worker was SIGKILLed and restarted (${r.kills} kills, ${r.killedMidJob} with a job locked)`);
  t.same(r.errors, {}, 'no error');
  t.same(
    Object.keys(r.rejected).filter((k) => !(k in SOAK_INTENDED)),
    [],
    `refusals are only the intended ones: ${JSON.stringify(r.rejected)}`,
  );
  for (const c of r.checks) t.ok(c.ok, `${c.check}: ${c.value}`);
  t.ok(r.checks.length >= 10, `${r.checks.length} checks ran`);
  t.equal(r.discrepancies, 0, 'no discrepancy');
  const section = formatSoak(r);
  t.match(section, /## Soak \(bench\/soak\.ts, make soak SECONDS=10\)/, 'the RESULTS.md section has its heading');
  t.match(section, /\*\*discrepancies\*\* \| \*\*0\*\*/, 'and the discrepancies');
});
