// The `scoreline` command: every make target is a subcommand here.
import { Command } from 'commander';
import { baseConfig, ConfigError, loadDotEnv } from './config.ts';
import { connect, databaseUrl } from './db.ts';
import { embeddedPaths, resetEmbedded, stopEmbedded } from './embedded.ts';
import { migrate } from './migrate.ts';
import { registerCommands } from './commands.ts';
import { cliLogger } from './log.ts';
import { OUTPUT_FORMATS, setOutputFormat } from './output.ts';

// .env of the current directory, as docker compose reads it: the real environment wins.
try {
  loadDotEnv();
} catch (err) {
  console.error(`scoreline: ${(err as Error).message}`);
  process.exit(2);
}

const log = cliLogger('scoreline');

const program = new Command('scoreline')
  .description('A PostgreSQL-native warehouse for sports predictions, picks, odds and bets whose statistics keep themselves fresh.')
  .option(
    '--format <format>',
    `results as ${OUTPUT_FORMATS.join(' or ')} (default: a table on a terminal, JSON lines otherwise; or SCORELINE_FORMAT)`,
  )
  .showHelpAfterError()
  .hook('preAction', (cmd) => {
    setOutputFormat(cmd.opts<{ format?: string }>().format);
  });

const db = program.command('db').description('the database scoreline uses: DATABASE_URL, or the embedded PostgreSQL in .pgdata/');
db.command('start')
  .description('start the embedded PostgreSQL (initialising it on first use); with DATABASE_URL set, check it answers')
  .action(async () => {
    const url = await databaseUrl(log);
    const sql = connect(url, { max: 1 });
    const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
    await sql.end();
    log('info', `PostgreSQL ${row?.version} is up`);
  });
db.command('stop')
  .description('stop the embedded PostgreSQL')
  .action(async () => {
    log(
      'info',
      (await stopEmbedded()) ? 'embedded PostgreSQL stopped' : `embedded PostgreSQL was not running (${embeddedPaths().cluster})`,
    );
  });
db.command('reset')
  .description('drop the embedded database and create it empty (then run migrate); never a DATABASE_URL or PGHOST one')
  .option('--yes', 'really: every row in the embedded database is lost')
  .action(async (opts: { yes?: boolean }) => {
    const config = baseConfig();
    if (config.DATABASE_URL || config.PGHOST)
      throw new ConfigError(
        `db reset drops only the embedded database, and ${config.DATABASE_URL ? 'DATABASE_URL' : 'PGHOST'} is set: drop that one yourself`,
      );
    if (!opts.yes) throw new ConfigError(`db reset drops every row of the embedded database in ${embeddedPaths().cluster}: add --yes`);
    const state = await resetEmbedded(undefined, log);
    log('info', `embedded database ${state.database} dropped and created empty: run scoreline migrate (make reset does)`);
  });
db.command('url')
  .description('print a URL psql accepts: psql "$(scoreline db url)"')
  .action(async () => {
    console.log(await databaseUrl(log));
  });

program
  .command('migrate')
  .description('apply db/migrations with dbmate, then re-apply sql/ in order, under an advisory lock; idempotent')
  .option('--force-sql', 're-apply every sql/ file even when none changed')
  .action(async (opts: { forceSql?: boolean }) => {
    const url = await databaseUrl(log);
    const result = await migrate(url, { log, forceSql: opts.forceSql ?? false });
    if (!result.migrations.length && !result.sqlFiles.length) log('info', 'database is up to date: nothing applied');
  });

registerCommands(program, log);

// A command whose promise can no longer settle (postgres.js may leave a query or end() pending
// for ever after the server went away) would otherwise exit 0 with no output when the event
// loop empties.
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  console.error('scoreline: the command stopped before it finished (was the connection to PostgreSQL lost?)');
  process.exit(1);
});

program
  .parseAsync(process.argv)
  .then(() => {
    settled = true;
  })
  .catch((err: unknown) => {
    settled = true;
    if (err instanceof ConfigError) {
      console.error(`scoreline: ${err.message}`);
      process.exit(2);
    }
    const e = err as Error & { code?: string; detail?: string; hint?: string; constraint_name?: string };
    console.error(`scoreline: ${e.message}`);
    if (e.code && /^[0-9A-Z]{5}$/.test(e.code))
      console.error(`  SQLSTATE ${e.code}${e.constraint_name ? `, constraint ${e.constraint_name}` : ''}`);
    if (e.detail) console.error(`  detail: ${e.detail}`);
    if (e.hint) console.error(`  hint: ${e.hint}`);
    if (process.env.SCORELINE_DEBUG) console.error(e.stack);
    process.exit(1);
  });
