// `scoreline refresh` and `scoreline dag`: the refresh orchestration lives in SQL
// (sql/030_refresh_registry.sql … sql/036_refresh_status.sql); this file plans with refresh.plan, then calls
// refresh.refresh_object once per object so that each object's statement_timeout
// bounds its own call (PostgreSQL arms statement_timeout per top-level statement,
// which one `call refresh.run_due()` cannot re-arm between objects).
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from './config.ts';
import { connect, databaseUrl, requirePrimary, type Sql } from './db.ts';
import type { Logger } from './log.ts';
import { output, type Output } from './output.ts';

export const TRIGGER_SOURCES = ['cron', 'manual', 'event', 'http'] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

export const refreshOptionsSchema = z.object({
  object: z.string().min(1).optional(),
  force: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  trigger: z.enum(TRIGGER_SOURCES).default('manual'),
});
export type RefreshOptions = z.input<typeof refreshOptionsSchema>;

export interface PlanStep {
  step: number;
  object: string;
  level: number;
  reason: string;
  method: string;
  statement_timeout: string | null;
}

export interface RunRow {
  run_id: string;
  object_name: string;
  status: 'running' | 'success' | 'failed' | 'warning' | 'skipped';
  method: string | null;
  reason: string | null;
  rows_before: string | null;
  rows_after: string | null;
  duration_ms: number | null;
  error_sqlstate: string | null;
  error_message: string | null;
}

export interface RefreshResult {
  runGroup: string | null;
  plan: PlanStep[];
  runs: RunRow[];
}

/** The plan `refresh --dry-run` prints and `refresh` follows: refresh.plan, with each object's statement_timeout. */
export async function planRefresh(sql: Sql, object: string | undefined, force: boolean): Promise<PlanStep[]> {
  return sql<PlanStep[]>`
    select p.step, p.object::text as object, p.level, p.reason, p.method,
           o.parameters ->> 'statement_timeout' as statement_timeout
      from refresh.plan(${object ?? null}::regclass, ${force}) p
      join refresh.object o on o.object = p.object
     order by p.step`;
}

export interface Explained {
  object: string;
  kind: string;
  answer: string;
  reads: string[];
}

/**
 * What `refresh --object` answers for an object that is not refreshed (a plain view): null
 * for a registered object or a relation that is not a view; SL075 when no relation has the name.
 */
export async function explainObject(sql: Sql, name: string): Promise<Explained | null> {
  const [row] = await sql<Explained[]>`select object, kind, answer, reads from refresh.explain(${name})`;
  return row ?? null;
}

/**
 * Refresh what is stale or due (or `object` and its dependents), in dependency order,
 * on one reserved connection outside any transaction block (refresh_object commits).
 */
export async function runRefresh(sql: Sql, options: RefreshOptions = {}): Promise<RefreshResult> {
  const opts = refreshOptionsSchema.parse(options);
  const conn = await sql.reserve();
  try {
    if (opts.dryRun) return { runGroup: null, plan: await planRefresh(conn, opts.object, opts.force), runs: [] };
    const [pass] = await conn<{ run_group: string }[]>`select refresh.begin_pass()::text as run_group`;
    const runGroup = pass!.run_group;
    const plan = await planRefresh(conn, opts.object, opts.force);
    for (const step of plan) {
      await conn`select set_config('statement_timeout', ${step.statement_timeout ?? '0'}, false)`;
      try {
        await conn`call refresh.refresh_object(${step.object}::regclass, ${opts.trigger}, ${runGroup}::bigint, ${step.reason},
                                               ${opts.force || step.object === opts.object})`;
      } catch (err) {
        // A statement_timeout (57014) cancels the call mid-refresh: refresh_object audits the run as failed
        // with 57014 and raises it again; the reap is for a run left behind all the same.
        const e = err as { code?: string };
        if (e.code !== '57014') throw err;
        await conn`select set_config('statement_timeout', '0', false)`;
        await conn`select refresh.reap(${step.object}::regclass)`;
      }
    }
    await conn`select set_config('statement_timeout', '0', false)`;
    const runs = await conn<RunRow[]>`
      select run_id::text, object_name, status, method, reason, rows_before::text, rows_after::text,
             round(extract(epoch from duration) * 1000)::float8 as duration_ms, error_sqlstate, error_message
        from refresh.run where run_group = ${runGroup}::bigint order by run_id`;
    return { runGroup, plan, runs };
  } finally {
    conn.release();
  }
}

// The connection itself failed (server stopped or restarted, network), not a statement.
const CONNECTION_LOST = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
]);

export function isConnectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && CONNECTION_LOST.has(code);
}

/**
 * After the connection was lost mid-refresh: reconnect (retrying for up to `seconds`,
 * `--reconnect-seconds`, default 30) and close the runs it left `running` as failed
 * (refresh.reap: SL071), then fail the command with what happened. When the server does not
 * come back in time, say that the next pass (or the worker's) will close them.
 */
export async function closeInterruptedRuns(url: string, cause: Error, log: Logger, seconds = 30): Promise<void> {
  process.exitCode = 1;
  const what = `the connection to PostgreSQL was lost during the refresh (${cause.message})`;
  const deadline = Date.now() + seconds * 1000;
  for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
    const sql = connect(url, { max: 1, applicationName: 'scoreline refresh (reap)', onNotice: () => {} });
    try {
      const [row] = await sql<{ n: number }[]>`select refresh.reap() as n`;
      await sql.end({ timeout: 1 });
      const n = row?.n ?? 0;
      log('error', `${what}; ${n} interrupted run${n === 1 ? '' : 's'} marked failed (SL071): run the refresh again`);
      return;
    } catch (err) {
      void sql.end({ timeout: 0 }).catch(() => {});
      if (!isConnectionLost(err) || Date.now() + wait > deadline) {
        log(
          'error',
          `${what}; the interrupted run could not be marked failed (${(err as Error).message}): the next refresh pass marks it (refresh.reap)`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

interface DagNode {
  object: string;
  level: number;
  method: string;
  state: string;
}
interface DagEdge {
  parent: string;
  parent_kind: string;
  dependent: string;
  strength: string;
  origin: string;
}

export async function loadDag(sql: Sql): Promise<{ nodes: DagNode[]; edges: DagEdge[] }> {
  const nodes = await sql<DagNode[]>`
    select s.object::text as object, l.level, s.method, s.state
      from refresh.status s join refresh.levels() l on l.object = s.object
     order by l.level, s.priority desc, s.object::text`;
  const edges = await sql<DagEdge[]>`
    select parent::text as parent, parent_kind, dependent::text as dependent, strength, origin
      from refresh.dag_edge
    union all
    select parent::text, parent_kind, dependent::text, 'hard', 'view'
      from refresh.view_edge
     order by 3, 1`;
  return { nodes: [...nodes, ...viewNodes(nodes, edges)], edges };
}

/**
 * The plain views (edges of origin 'view'), each a level below the deepest object it reads:
 * not registered, method "view", state "current" (at commit).
 */
function viewNodes(registered: readonly DagNode[], edges: readonly DagEdge[]): DagNode[] {
  const level = new Map(registered.map((n) => [n.object, n.level]));
  const views = [...new Set(edges.filter((e) => e.origin === 'view').map((e) => e.dependent))];
  const parents = (v: string) => edges.filter((e) => e.dependent === v).map((e) => e.parent);
  const levelOf = (v: string, seen: Set<string>): number => {
    const known = level.get(v);
    if (known !== undefined) return known;
    if (!views.includes(v) || seen.has(v)) return -1; // a source table
    const l = 1 + Math.max(-1, ...parents(v).map((p) => levelOf(p, new Set([...seen, v]))));
    level.set(v, l);
    return l;
  };
  return views
    .map((v) => ({ object: v, level: levelOf(v, new Set()), method: 'view', state: 'current' }))
    .sort((a, b) => a.level - b.level || a.object.localeCompare(b.object));
}

/** The dependency graph as indented text: each object under its level, with what it reads. */
export function dagText(nodes: DagNode[], edges: DagEdge[]): string {
  const lines: string[] = [];
  let level = -1;
  for (const n of [...nodes].sort((a, b) => a.level - b.level)) {
    if (n.level !== level) {
      level = n.level;
      lines.push(`level ${level}`);
    }
    lines.push(`  ${n.object}  [${n.method}, ${n.state}]`);
    for (const e of edges.filter((e) => e.dependent === n.object)) {
      lines.push(`    <- ${e.parent}  (${e.parent_kind}, ${e.strength}, ${e.origin})`);
    }
  }
  return lines.length ? lines.join('\n') : '(no registered objects)';
}

/** The dependency graph as a mermaid flowchart: sources on the left, soft dependencies dotted. */
export function dagMermaid(nodes: DagNode[], edges: DagEdge[]): string {
  const ids = new Map<string, string>();
  const id = (name: string) => {
    if (!ids.has(name)) ids.set(name, `n${ids.size + 1}`);
    return ids.get(name)!;
  };
  const label = (name: string) => name.replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  for (const n of nodes) lines.push(`  ${id(n.object)}["${label(n.object)}"]`);
  for (const e of edges) {
    if (!ids.has(e.parent)) lines.push(`  ${id(e.parent)}[("${label(e.parent)}")]`);
    lines.push(`  ${id(e.parent)} ${e.strength === 'soft' ? '-.->' : '-->'} ${id(e.dependent)}`);
  }
  return lines.join('\n');
}

const NOTHING = 'nothing to refresh: every registered object is fresh';

function printPlan(out: Output, plan: PlanStep[]): void {
  out.rows(
    plan.map((s) => ({ step: s.step, level: s.level, object: s.object, method: s.method, reason: s.reason })),
    { empty: NOTHING },
  );
}

function printRuns(out: Output, runs: RunRow[]): void {
  out.rows(
    runs.map((r) => ({
      status: r.status,
      object: r.object_name,
      method: r.status === 'skipped' ? null : r.method,
      rows_before: r.rows_before,
      rows_after: r.rows_after,
      ms: r.status === 'skipped' ? null : r.duration_ms,
      detail:
        r.status === 'skipped'
          ? r.reason
          : r.error_message
            ? `${r.error_message}${r.error_sqlstate ? ` (SQLSTATE ${r.error_sqlstate})` : ''}`
            : null,
    })),
    { empty: NOTHING },
  );
}

export function register(program: Command, log: Logger): void {
  program
    .command('refresh')
    .description('refresh what is stale or due, parents first; --object: that object and its dependents')
    .option(
      '--object <regclass>',
      'refresh this object (e.g. stats.user_leaderboard) and what depends on it; for a plain view (stats.mv_model_stats_overall), say why there is nothing to refresh',
    )
    .option('--force', 'refresh even what is fresh')
    .option('--dry-run', 'print the plan in order and change nothing')
    .option('--trigger <source>', 'audit trigger source: cron, manual, event, http', 'manual')
    .option(
      '--reconnect-seconds <n>',
      'when the connection is lost mid-refresh, how long to retry connecting to mark the interrupted run failed',
      '30',
    )
    .action(async (raw: { object?: string; force?: boolean; dryRun?: boolean; trigger?: string; reconnectSeconds: string }) => {
      const { reconnectSeconds, ...rest } = raw;
      const opts = refreshOptionsSchema.parse(rest);
      const reconnect = z.coerce.number().int().min(0).max(3600).safeParse(reconnectSeconds);
      if (!reconnect.success)
        throw new ConfigError(`--reconnect-seconds ${reconnectSeconds}: must be a whole number of seconds, 0 to 3600`);
      const url = await databaseUrl(log);
      // refresh_object's notices say what the printed runs say: stdout has them once, stderr only warnings.
      const sql = connect(url, {
        max: 1,
        applicationName: 'scoreline refresh',
        onNotice: (m, severity) => {
          if (severity === 'WARNING') log('warn', m);
        },
      });
      let result: RefreshResult;
      try {
        const explained = opts.object ? await explainObject(sql, opts.object) : null;
        if (explained) {
          await sql.end();
          output().rows([{ ...explained }], { columns: ['object', 'kind', 'answer', 'reads'] });
          return;
        }
        // a dry run only reads the plan: it works on a standby too
        if (!opts.dryRun) await requirePrimary(sql);
        result = await runRefresh(sql, opts);
      } catch (err) {
        // postgres.js may never settle end() after the server went away: do not wait for it.
        void sql.end({ timeout: 0 }).catch(() => {});
        if (!isConnectionLost(err)) throw err;
        await closeInterruptedRuns(url, err as Error, log, reconnect.data);
        return;
      }
      await sql.end();
      if (opts.dryRun) printPlan(output(), result.plan);
      else printRuns(output(), result.runs);
      if (result.runs.some((r) => r.status === 'failed')) process.exitCode = 1;
    });

  program
    .command('dag')
    .description(
      'print the dependency graph of registered objects and the plain views of stats, with what each reads (--mermaid: a flowchart)',
    )
    .option('--mermaid', 'print a mermaid flowchart')
    .action(async (opts: { mermaid?: boolean }) => {
      const sql = connect(await databaseUrl(log), { max: 1, applicationName: 'scoreline dag' });
      try {
        const { nodes, edges } = await loadDag(sql);
        const out = output();
        if (opts.mermaid) out.raw(dagMermaid(nodes, edges));
        else if (out.format === 'table') out.raw(dagText(nodes, edges));
        else
          out.rows(
            nodes.map((n) => ({
              ...n,
              reads: edges.filter((e) => e.dependent === n.object).map((e) => e.parent),
            })),
          );
      } finally {
        await sql.end();
      }
    });
}
