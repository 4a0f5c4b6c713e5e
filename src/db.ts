// Where the database is: DATABASE_URL when set; else the PG* variables when PGHOST is
// set (PGPASSWORD_FILE for a secret in a file); otherwise the embedded server (started on
// demand). One place decides, every command asks here.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import postgres from 'postgres';
import { baseConfig, ConfigError, pgEnvUrl } from './config.ts';
import { embeddedUrl, startEmbedded } from './embedded.ts';
import { silent, type Logger } from './log.ts';

export type Sql = postgres.Sql<Record<string, never>>;

/** The URL of the scoreline database, starting the embedded server when needed. */
export async function databaseUrl(log: Logger = silent): Promise<string> {
  const config = baseConfig();
  if (config.DATABASE_URL) return config.DATABASE_URL;
  const fromEnv = pgEnvUrl(
    config,
    (f) => readFileSync(f, 'utf8'),
    () => os.userInfo().username,
  );
  if (fromEnv) return fromEnv;
  return embeddedUrl(await startEmbedded(undefined, log));
}

export interface ConnectOptions {
  max?: number;
  /** Called with each NOTICE (or WARNING …) the server raises, with its severity: progress of long procedures. */
  onNotice?: (message: string, severity: string) => void;
  applicationName?: string;
  /**
   * Named prepared statements (postgres.js's default, true). Through PgBouncer in transaction
   * mode they must be off (a statement prepared on one server connection is unknown on the
   * next): pass false, or put `?prepare=false` in the URL (docs/scaling.md).
   */
  prepare?: boolean;
}

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 4,
    onnotice: (n) => opts.onNotice?.(String(n.message), String(n.severity)),
    connection: { application_name: opts.applicationName ?? 'scoreline' },
    idle_timeout: 30,
    ...(opts.prepare === undefined ? {} : { prepare: opts.prepare }),
  }) as unknown as Sql;
}

/** The same URL pointing at another database of the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * SL130: the server is a hot standby (in recovery), so nothing can be written there. A
 * configuration error: the command exits 2, like the other errors of its environment.
 */
export class StandbyError extends ConfigError {
  override name = 'StandbyError';
  readonly code = 'SL130';
  constructor(where: string) {
    super(`SL130 this server is a standby: point DATABASE_URL at the primary (${where} is in recovery, read-only)`);
  }
}

/**
 * Refuse a standby: every command that writes calls this right after connecting, so that
 * pointing it at a read replica fails at once with SL130 instead of deep inside with
 * 25006 (read-only transaction) half way through its work.
 */
export async function requirePrimary(sql: Sql): Promise<void> {
  const [row] = await sql<{ standby: boolean; addr: string | null; port: number | null; db: string }[]>`
    select pg_is_in_recovery() as standby, inet_server_addr()::text as addr, inet_server_port() as port, current_database() as db`;
  if (!row?.standby) return;
  const host = row.addr ? `${row.addr.replace(/\/\d+$/, '')}:${row.port}` : 'the local socket';
  throw new StandbyError(`${host}/${row.db}`);
}
