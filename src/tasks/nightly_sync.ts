// nightly_sync: at 02:00 UTC, every enabled ingest source (ingest.source, streamed by
// the feeds' loaders), then the refresh registry in line with the catalog (refresh.sync)
// and the data-quality report: each check as its own statement under its own timeout
// (refresh."check".timeout; PostgreSQL arms statement_timeout per top-level statement).
import type { Task } from 'graphile-worker';
import type { Sql } from '../db.ts';
import { syncSources } from '../ingest/sync.ts';
import { jobFields, parsePayload, type TaskContext } from './context.ts';
import { cronPayload } from './refresh_tick.ts';

interface CheckResult {
  check_name: string;
  severity: string;
  passed: boolean;
  detail: string | null;
}

/** Every enabled check, one statement each with statement_timeout set to the check's timeout. */
export async function runChecks(sql: Sql): Promise<CheckResult[]> {
  const checks = await sql<{ name: string; timeout_ms: string }[]>`
    select name, (extract(epoch from timeout) * 1000)::bigint::text as timeout_ms
      from refresh."check" where enabled order by name`;
  const results: CheckResult[] = [];
  for (const c of checks) {
    const rows = await sql.begin(async (tx) => {
      await tx`select set_config('statement_timeout', ${c.timeout_ms}, true)`;
      return tx<CheckResult[]>`select check_name, severity, passed, detail from refresh.run_check(${c.name})`;
    });
    results.push(...(rows as unknown as CheckResult[]));
  }
  return results;
}

export default function nightlySync({ log, sql }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('nightly_sync', cronPayload, payload);
    const started = Date.now();
    const fields = jobFields(helpers);
    const sources = await syncSources(sql, log.child(fields));
    const failedSources = sources.filter((s) => 'error' in s && s.error);
    await sql`select refresh.sync('sync')`;
    const checks = await runChecks(sql);
    const failed = checks.filter((c) => !c.passed);
    const problems = failedSources.length > 0 || failed.length > 0;
    log(problems ? 'warn' : 'info', 'nightly sync finished: ingest sources, then the data-quality report', {
      ...fields,
      sources: sources.length,
      failed_sources: failedSources.length,
      checks: checks.length,
      failed_checks: failed.length,
      failed: failed.map((f) => `${f.check_name} (${f.severity}): ${f.detail}`).join('; ') || null,
      ms: Date.now() - started,
    });
  };
}
