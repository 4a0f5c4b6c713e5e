// nightly_sync: at 02:00 UTC, every enabled ingest source (ingest.source, streamed by
// the feeds' loaders), then the data-quality report (worker.nightly_sync).
import type { Task } from 'graphile-worker';
import { syncSources } from '../ingest/sync.ts';
import { jobFields, parsePayload, type TaskContext } from './context.ts';
import { cronPayload } from './refresh_tick.ts';

interface Report {
  checks: number;
  failed: number;
  failed_checks: { check: string; severity: string; detail: string }[];
}

export default function nightlySync({ log, sql }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('nightly_sync', cronPayload, payload);
    const started = Date.now();
    const fields = jobFields(helpers);
    const sources = await syncSources(sql, log.child(fields));
    const failedSources = sources.filter((s) => 'error' in s && s.error);
    const { rows } = await helpers.query<{ report: Report }>('select worker.nightly_sync() as report');
    const report = rows[0]?.report;
    const problems = failedSources.length > 0 || (report?.failed ?? 0) > 0;
    log(problems ? 'warn' : 'info', 'nightly sync finished: ingest sources, then the data-quality report', {
      ...fields,
      sources: sources.length,
      failed_sources: failedSources.length,
      checks: report?.checks,
      failed_checks: report?.failed,
      failed: report?.failed_checks.map((f) => `${f.check} (${f.severity}): ${f.detail}`).join('; ') || null,
      ms: Date.now() - started,
    });
  };
}
