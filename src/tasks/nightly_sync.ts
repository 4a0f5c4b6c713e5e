// nightly_sync: at 02:00 UTC, run the configured ingest sources and then the
// data-quality report (worker.nightly_sync).
import type { Task } from 'graphile-worker';
import { jobFields, parsePayload, type TaskContext } from './context.ts';
import { cronPayload } from './refresh_tick.ts';

export default function nightlySync({ log }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('nightly_sync', cronPayload, payload);
    const started = Date.now();
    const { rows } = await helpers.query<{ report: { sources: number; checks: number; failed: number; note?: string } }>(
      'select worker.nightly_sync() as report',
    );
    const report = rows[0]?.report;
    log(report && report.failed > 0 ? 'warn' : 'info', report?.note ?? 'nightly sync finished', {
      ...jobFields(helpers),
      sources: report?.sources,
      checks: report?.checks,
      failed_checks: report?.failed,
      ms: Date.now() - started,
    });
  };
}
