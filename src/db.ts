// Where the database is: DATABASE_URL when set; else the PG* variables when PGHOST is
// set (PGPASSWORD_FILE for a secret in a file); otherwise the embedded server (started on
// demand). One place decides, every command asks here.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import postgres from 'postgres';
import { baseConfig, pgEnvUrl } from './config.ts';
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
}

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 4,
    onnotice: (n) => opts.onNotice?.(String(n.message), String(n.severity)),
    connection: { application_name: opts.applicationName ?? 'scoreline' },
    idle_timeout: 30,
  }) as unknown as Sql;
}

/** The same URL pointing at another database of the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
