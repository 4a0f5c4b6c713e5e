// `scoreline status`: what is stale and why, SLA breaches, the queue and recent failures as
// text; `--html FILE` writes the worker's status page (GET /status) to a file instead.
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { connect, databaseUrl } from '../db.ts';
import type { Logger } from '../log.ts';
import { loadStatus, type StatusData } from './data.ts';
import { renderStatusPage } from './html.ts';
import { output } from '../output.ts';

export function statusText(d: StatusData): string {
  const lines: string[] = [];
  const notFresh = d.objects.filter((o) => o.state !== 'fresh');
  lines.push(
    `${d.objects.length - notFresh.length} of ${d.objects.length} registered objects fresh (database ${d.database}, ${d.generatedAt})`,
  );
  for (const o of notFresh) lines.push(`  ${o.state.padEnd(8)} ${o.object}${o.sla_breached ? '  SLA BREACHED' : ''}  ${o.reason ?? ''}`);
  const queue = d.queue.map((q) => `${q.task} ${q.state} ${q.n}`).join(', ');
  lines.push(`queue: ${queue || 'empty'}`);
  if (d.failedRuns.length) {
    lines.push('recent failed refresh runs:');
    for (const r of d.failedRuns.slice(0, 5))
      lines.push(`  run ${r.run_id} ${r.object_name} ${r.finished_at ?? ''} SQLSTATE ${r.error_sqlstate ?? '-'}: ${r.error_message ?? ''}`);
  }
  if (d.failedJobs.length) lines.push(`jobs failed for good: ${d.failedJobs.length} (select * from worker.failed_job)`);
  return lines.join('\n');
}

/** The same summary as one JSON object (one line), for a program or jq. */
export function statusJson(d: StatusData) {
  return {
    database: d.database,
    generated_at: d.generatedAt,
    objects: d.objects.map((o) => ({
      object: o.object,
      method: o.method,
      state: o.state,
      sla_breached: o.sla_breached,
      reason: o.reason,
      last_success: o.last_success,
    })),
    queue: d.queue,
    failed_runs: d.failedRuns.slice(0, 5),
    failed_jobs: d.failedJobs.length,
  };
}

export function register(program: Command, log: Logger): void {
  program
    .command('status')
    .description(
      'what is stale and why, SLA breaches, the queue and recent failures (text on a terminal, one JSON object otherwise); --html FILE writes the status page',
    )
    .option('--html <file>', 'write the status page (HTML with inline SVG, as the worker serves at GET /status) to this file')
    .action(async (opts: { html?: string }) => {
      const sql = connect(await databaseUrl(log), { max: 1, applicationName: 'scoreline status' });
      try {
        const data = await loadStatus(sql);
        if (opts.html) {
          await fs.writeFile(opts.html, renderStatusPage(data));
          log('info', `status page written to ${opts.html}`);
        } else {
          const out = output();
          out.raw(out.format === 'table' ? statusText(data) : JSON.stringify(statusJson(data)));
        }
      } finally {
        await sql.end();
      }
    });
}
