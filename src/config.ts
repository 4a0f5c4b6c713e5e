// Configuration: read once from the environment, validated with zod, failing fast
// with a message that names the variable.
import { z } from 'zod';

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
    return `  ${name}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration in the environment:\n${lines.join('\n')}`);
}

/** An optional environment variable: unset and empty both mean "not given". */
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');

/** Settings every command shares. */
export const baseSchema = z.object({
  DATABASE_URL: optional(postgresUrl),
  SCORELINE_PGDATA: optional(z.string().min(1)),
  SCORELINE_PGPORT: optional(z.coerce.number().int().min(1024).max(65535)),
  LOG_LEVEL: optional(z.enum(['debug', 'info', 'warn', 'error'])).default('info'),
});

export type BaseConfig = z.output<typeof baseSchema>;

export function baseConfig(env: NodeJS.ProcessEnv = process.env): BaseConfig {
  return parseEnv(baseSchema, env);
}
