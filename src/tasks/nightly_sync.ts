// nightly_sync: at 02:00 UTC, the configured ingest sources, then the data-quality
// report (worker.nightly_sync). Until feeds can be configured as sources (the
// ingestion work), only the report runs, and the log line says so.
import type { Task } from 'graphile-worker';
import { jobFields, parsePayload, type TaskContext } from './context.ts';
import { cronPayload } from './refresh_tick.ts';

interface Report {
  checks: number;
  failed: number;
  failed_checks: { check: string; severity: string; detail: string }[];
}

export default function nightlySync({ log }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('nightly_sync', cronPayload, payload);
    const started = Date.now();
    const { rows: src } = await helpers.query<{ ok: boolean }>("select to_regclass('ingest.source') is not null as ok");
    const sourcesNote = src[0]?.ok ? 'ingest sources ran' : 'no ingest sources are configurable yet: ran the data-quality report only';
    const { rows } = await helpers.query<{ report: Report }>('select worker.nightly_sync() as report');
    const report = rows[0]?.report;
    log(report && report.failed > 0 ? 'warn' : 'info', `nightly sync finished: ${sourcesNote}`, {
      ...jobFields(helpers),
      checks: report?.checks,
      failed_checks: report?.failed,
      failed: report?.failed_checks.map((f) => `${f.check} (${f.severity}): ${f.detail}`).join('; ') || null,
      ms: Date.now() - started,
    });
  };
}
