// Configuration: read once from the environment, validated with zod, failing fast
// with a message that names the variable.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv as parseEnvText } from 'node:util';
import { z } from 'zod';

/** The variables loadDotEnv took from a file, and the file: named in configuration errors. */
const fromDotEnv = new Map<string, string>();

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parse `env` with `schema`. On failure, throw one ConfigError listing every bad
 * variable by name, its value's problem, and what was expected.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    return `  ${name}${fromDotEnv.has(name) ? ` (from ${fromDotEnv.get(name)})` : ''}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration in the environment:\n${lines.join('\n')}`);
}

/** An optional environment variable: unset and empty both mean "not given". */
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');

/**
 * Settings every command shares. Where the database is, in this order: DATABASE_URL;
 * else, when PGHOST is set, the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD (or
 * PGPASSWORD_FILE, a file holding it, as Docker secrets are), PGDATABASE and PGSSLMODE,
 * so that a password never has to be spliced into a URL by hand; else the embedded server.
 */
export const baseSchema = z
  .object({
    DATABASE_URL: optional(postgresUrl),
    PGHOST: optional(
      z.string().refine((v) => /^[A-Za-z0-9.:_-]+$/.test(v), 'must be a host name or an IP address (for a Unix socket, use DATABASE_URL)'),
    ),
    PGPORT: optional(z.coerce.number().int().min(1).max(65535)),
    PGUSER: optional(z.string().min(1)),
    PGPASSWORD: optional(z.string()),
    PGPASSWORD_FILE: optional(z.string().min(1)),
    PGDATABASE: optional(z.string().min(1)),
    PGSSLMODE: optional(z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])),
    SCORELINE_PGDATA: optional(z.string().min(1)),
    SCORELINE_PGPORT: optional(z.coerce.number().int().min(1024).max(65535)),
    LOG_LEVEL: optional(z.enum(['debug', 'info', 'warn', 'error'])).default('info'),
  })
  .refine((c) => !(c.PGPASSWORD && c.PGPASSWORD_FILE), {
    path: ['PGPASSWORD_FILE'],
    message: 'set PGPASSWORD or PGPASSWORD_FILE, not both',
  });

export type BaseConfig = z.output<typeof baseSchema>;

export function baseConfig(env: NodeJS.ProcessEnv = process.env): BaseConfig {
  return parseEnv(baseSchema, env);
}

/**
 * The database URL the PG* variables describe (every part percent-encoded, so a password
 * with @, / or : is safe), or undefined when DATABASE_URL is set or PGHOST is not.
 * libpq's defaults: port 5432, the user of the process, the database named as the user.
 */
export function pgEnvUrl(config: BaseConfig, readFile: (file: string) => string, osUser: () => string): string | undefined {
  if (config.DATABASE_URL || !config.PGHOST) return undefined;
  let password = config.PGPASSWORD;
  if (config.PGPASSWORD_FILE) {
    try {
      password = readFile(config.PGPASSWORD_FILE).replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(
        `invalid configuration in the environment:\n  PGPASSWORD_FILE: cannot read ${config.PGPASSWORD_FILE}: ${(err as Error).message}`,
      );
    }
  }
  const user = config.PGUSER ?? osUser();
  const host = config.PGHOST.includes(':') ? `[${config.PGHOST}]` : config.PGHOST;
  const auth = `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@`;
  const u = new URL(`postgres://${auth}${host}:${config.PGPORT ?? 5432}/${encodeURIComponent(config.PGDATABASE ?? user)}`);
  if (config.PGSSLMODE) u.searchParams.set('sslmode', config.PGSSLMODE);
  return u.toString();
}

/**
 * Read `file` (default: .env in the current directory) as docker compose does, into `env`:
 * a variable already in the environment wins over the file, as compose's shell variables win
 * over its .env. Returns the names taken from the file; no file, no change.
 * Syntax: NAME=value lines, # comments, quotes, `export NAME=value` (Node's util.parseEnv).
 */
export function loadDotEnv(file: string = path.resolve('.env'), env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const taken: string[] = [];
  for (const [name, value] of Object.entries(parseEnvText(text))) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    taken.push(name);
    fromDotEnv.set(name, path.relative(process.cwd(), file) || file);
  }
  return taken;
}
