// `scoreline docs`: the schema dictionary (docs/schema.md), generated from the catalog
// of a freshly migrated database so that it never depends on data, never goes out of
// date, and reads the same on every run. `scoreline docs --check` fails when the
// committed file differs from a fresh generation (CI runs it as `make docs-check`).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { connect, databaseUrl, requirePrimary, withDatabase, type Sql } from './db.ts';
import { repoRoot } from './embedded.ts';
import { silent, type Logger } from './log.ts';
import { migrate } from './migrate.ts';

export const schemaDocPath = path.join(repoRoot, 'docs', 'schema.md');

/** The scoreline schemas in the order the dictionary presents them; any other schema follows by name. */
export const SCHEMA_ORDER = ['core', 'market', 'forecast', 'trade', 'stats', 'refresh', 'ingest', 'maint'] as const;

/** Schemas that are not scoreline's own: PostgreSQL's, dbmate's and graphile-worker's. */
const FOREIGN_SCHEMA = `n.nspname not in ('public', 'information_schema') and n.nspname !~ '^(pg_|graphile_)'`;

/** The one object of `public` that is scoreline's: the record of applied sql/ files. */
const PUBLIC_TABLES = ['scoreline_sql_file'];

const KIND: Record<string, string> = { r: 'table', p: 'partitioned table', v: 'view', m: 'materialized view' };
const PROKIND: Record<string, string> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window function' };
const VOLATILITY: Record<string, string> = { i: 'immutable', s: 'stable', v: 'volatile' };

interface SchemaRow {
  name: string;
  comment: string | null;
}
interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  kind: string;
  comment: string | null;
  partition_key: string | null;
}
interface ColumnRow {
  relid: number;
  name: string;
  type: string;
  not_null: boolean;
  default_value: string | null;
  identity: string;
  generated: string;
  comment: string | null;
}
interface DefinitionRow {
  relid: number;
  name: string;
  definition: string;
  comment: string | null;
}
interface FunctionRow {
  schema: string;
  name: string;
  arguments: string;
  result: string | null;
  kind: string;
  language: string;
  volatility: string;
  strict: boolean;
  security_definer: boolean;
  config: string | null;
  comment: string | null;
}
interface TypeRow {
  schema: string;
  name: string;
  kind: string;
  definition: string;
  comment: string | null;
}
interface EventTriggerRow {
  name: string;
  event: string;
  function: string;
  tags: string | null;
  enabled: string;
  comment: string | null;
}

/** Text for a Markdown table cell: one line, pipes escaped. */
function cell(text: string | null | undefined): string {
  return (text ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** Inline code that survives backticks inside it. */
function code(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.includes('`') ? `\`\` ${flat} \`\`` : `\`${flat}\``;
}

/** A comment as a paragraph, or a visible note that it is missing. */
function paragraph(comment: string | null): string {
  return comment?.trim() ? comment.trim() : '_No comment._';
}

/** Objects in scoreline's schemas, and public.scoreline_sql_file; never an extension's. */
const notExtension = (classid: string, oid: string) =>
  `not exists (select from pg_catalog.pg_depend d where d.classid = '${classid}'::pg_catalog.regclass and d.objid = ${oid} and d.deptype = 'e')`;

/**
 * Render the dictionary from the catalog of the database `sql` is connected to.
 * Deterministic: everything sorted, no timestamps, no counts, no OIDs.
 */
export async function renderSchemaDoc(sql: Sql): Promise<string> {
  // Every name in every definition is printed schema-qualified, whatever the caller's search_path.
  return sql.begin(async (tx) => {
    await tx`select pg_catalog.set_config('search_path', 'pg_catalog', true)`;

    const schemas = await tx<SchemaRow[]>`
      select n.nspname as name, pg_catalog.obj_description(n.oid, 'pg_namespace') as comment
        from pg_catalog.pg_namespace n
       where ${tx.unsafe(FOREIGN_SCHEMA)} and ${tx.unsafe(notExtension('pg_namespace', 'n.oid'))}`;
    const order = (name: string) => {
      const i = (SCHEMA_ORDER as readonly string[]).indexOf(name);
      return i === -1 ? SCHEMA_ORDER.length : i;
    };
    schemas.sort((a, b) => order(a.name) - order(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = schemas.map((s) => s.name);

    const relations = await tx<RelationRow[]>`
      select c.oid::int8::float8 as oid, n.nspname as schema, c.relname as name, c.relkind as kind,
             pg_catalog.obj_description(c.oid, 'pg_class') as comment,
             case when c.relkind = 'p' then pg_catalog.pg_get_partkeydef(c.oid) end as partition_key
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p', 'v', 'm')
         and not c.relispartition
         and (n.nspname = any(${names}::text[]) or (n.nspname = 'public' and c.relname = any(${PUBLIC_TABLES}::text[])))
         and ${tx.unsafe(notExtension('pg_class', 'c.oid'))}
       order by n.nspname collate "C", c.relname collate "C"`;
    const relids = relations.map((r) => r.oid);

    const columns = await tx<ColumnRow[]>`
      select a.attrelid::int8::float8 as relid, a.attname as name,
             pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
             pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) as default_value,
             a.attidentity as identity, a.attgenerated as generated,
             pg_catalog.col_description(a.attrelid, a.attnum) as comment
        from pg_catalog.pg_attribute a
        left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
       where a.attrelid = any(${relids}::oid[]) and a.attnum > 0 and not a.attisdropped
       order by a.attrelid, a.attnum`;

    // NOT NULL constraints (catalogued since PostgreSQL 18) are already in the column table.
    const constraints = await tx<DefinitionRow[]>`
      select co.conrelid::int8::float8 as relid, co.conname as name,
             pg_catalog.pg_get_constraintdef(co.oid) as definition,
             pg_catalog.obj_description(co.oid, 'pg_constraint') as comment
        from pg_catalog.pg_constraint co
       where co.conrelid = any(${relids}::oid[]) and co.contype <> 'n'
       order by co.conname collate "C"`;

    const indexes = await tx<DefinitionRow[]>`
      select i.indrelid::int8::float8 as relid, c.relname as name,
             pg_catalog.pg_get_indexdef(i.indexrelid) as definition,
             pg_catalog.obj_description(i.indexrelid, 'pg_class') as comment
        from pg_catalog.pg_index i
        join pg_catalog.pg_class c on c.oid = i.indexrelid
       where i.indrelid = any(${relids}::oid[])
       order by c.relname collate "C"`;

    const triggers = await tx<DefinitionRow[]>`
      select t.tgrelid::int8::float8 as relid, t.tgname as name,
             pg_catalog.pg_get_triggerdef(t.oid) as definition,
             pg_catalog.obj_description(t.oid, 'pg_trigger') as comment
        from pg_catalog.pg_trigger t
       where t.tgrelid = any(${relids}::oid[]) and not t.tgisinternal
       order by t.tgname collate "C"`;

    const functions = await tx<FunctionRow[]>`
      select n.nspname as schema, p.proname as name,
             pg_catalog.pg_get_function_arguments(p.oid) as arguments,
             pg_catalog.pg_get_function_result(p.oid) as result,
             p.prokind as kind, l.lanname as language, p.provolatile as volatility,
             p.proisstrict as strict, p.prosecdef as security_definer,
             pg_catalog.array_to_string(p.proconfig, ', ') as config,
             pg_catalog.obj_description(p.oid, 'pg_proc') as comment
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        join pg_catalog.pg_language l on l.oid = p.prolang
       where n.nspname = any(${names}::text[]) and ${tx.unsafe(notExtension('pg_proc', 'p.oid'))}
       order by n.nspname collate "C", p.proname collate "C",
                pg_catalog.pg_get_function_identity_arguments(p.oid) collate "C"`;

    // Enums, domains, standalone composite types and ranges (not the row types of tables).
    const types = await tx<TypeRow[]>`
      select n.nspname as schema, t.typname as name, t.typtype as kind,
             case t.typtype
               when 'e' then (select pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' order by e.enumsortorder)
                                from pg_catalog.pg_enum e where e.enumtypid = t.oid)
               when 'd' then pg_catalog.format_type(t.typbasetype, t.typtypmod)
                 || coalesce(' ' || (select pg_catalog.string_agg(pg_catalog.pg_get_constraintdef(co.oid), ' ' order by co.conname collate "C")
                                       from pg_catalog.pg_constraint co where co.contypid = t.oid and co.contype = 'c'), '')
               when 'c' then (select pg_catalog.string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
                                from pg_catalog.pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped)
               when 'r' then (select pg_catalog.format_type(r.rngsubtype, null) from pg_catalog.pg_range r where r.rngtypid = t.oid)
             end as definition,
             pg_catalog.obj_description(t.oid, 'pg_type') as comment
        from pg_catalog.pg_type t
        join pg_catalog.pg_namespace n on n.oid = t.typnamespace
       where n.nspname = any(${names}::text[])
         and (t.typtype in ('e', 'd', 'r')
              or (t.typtype = 'c' and (select c.relkind from pg_catalog.pg_class c where c.oid = t.typrelid) = 'c'))
         and ${tx.unsafe(notExtension('pg_type', 't.oid'))}
       order by n.nspname collate "C", t.typname collate "C"`;

    const eventTriggers = await tx<EventTriggerRow[]>`
      select e.evtname as name, e.evtevent as event, e.evtfoid::regprocedure::text as function,
             pg_catalog.array_to_string(e.evttags, ', ') as tags, e.evtenabled as enabled,
             pg_catalog.obj_description(e.oid, 'pg_event_trigger') as comment
        from pg_catalog.pg_event_trigger e
       where ${tx.unsafe(notExtension('pg_event_trigger', 'e.oid'))}
       order by e.evtname collate "C"`;

    const byRel = <T extends { relid: number }>(rows: T[]) => {
      const map = new Map<number, T[]>();
      for (const row of rows) map.set(row.relid, [...(map.get(row.relid) ?? []), row]);
      return map;
    };
    const columnsOf = byRel(columns);
    const constraintsOf = byRel(constraints);
    const indexesOf = byRel(indexes);
    const triggersOf = byRel(triggers);

    const out: string[] = [];
    out.push(
      '# Schema dictionary',
      '',
      'Generated by `scoreline docs` (`make docs`) from the catalog of a freshly migrated database: every',
      'description below is the object’s COMMENT. Do not edit this file; change the COMMENT in db/migrations or',
      'sql/ and regenerate. CI runs `make docs-check`, which fails when this file differs from a fresh generation.',
      'Partitions of partitioned tables are not listed: only their parents.',
      '',
      '## Schemas',
      '',
    );
    for (const s of schemas) out.push(`- [${s.name}](#schema-${s.name}): ${cell(s.comment) || '_No comment._'}`);
    out.push(
      `- [public](#schema-public): only \`public.${PUBLIC_TABLES.join('`, `public.')}\`; dbmate's and graphile-worker's objects are not listed.`,
    );
    if (eventTriggers.length) out.push('- [Event triggers](#event-triggers)');
    out.push('');

    const renderRelation = (r: RelationRow) => {
      out.push(
        `### ${r.schema}.${r.name}`,
        '',
        `_${KIND[r.kind] ?? r.kind}_${r.partition_key ? `, partitioned by ${code(r.partition_key)}` : ''}`,
        '',
      );
      out.push(paragraph(r.comment), '');
      out.push('| column | type | null | default | description |', '|---|---|---|---|---|');
      for (const c of columnsOf.get(r.oid) ?? []) {
        const dflt =
          c.identity === 'a'
            ? 'generated always as identity'
            : c.identity === 'd'
              ? 'generated by default as identity'
              : c.generated === 's'
                ? `generated always as (${c.default_value ?? ''}) stored`
                : (c.default_value ?? '');
        out.push(`| ${cell(c.name)} | ${cell(c.type)} | ${c.not_null ? 'not null' : 'null'} | ${cell(dflt)} | ${cell(c.comment)} |`);
      }
      out.push('');
      const list = (title: string, rows: DefinitionRow[] | undefined) => {
        if (!rows?.length) return;
        out.push(`${title}:`, '');
        for (const d of rows) out.push(`- **${d.name}** ${code(d.definition)}${d.comment ? `: ${cell(d.comment)}` : ''}`);
        out.push('');
      };
      list('Constraints', constraintsOf.get(r.oid));
      list('Indexes', indexesOf.get(r.oid));
      list('Triggers', triggersOf.get(r.oid));
    };

    for (const s of schemas) {
      out.push(`## Schema ${s.name}`, '', paragraph(s.comment), '');
      for (const r of relations.filter((x) => x.schema === s.name)) renderRelation(r);
      const fns = functions.filter((f) => f.schema === s.name);
      if (fns.length) {
        out.push(`### Functions and procedures in ${s.name}`, '');
        for (const f of fns) {
          const kind = PROKIND[f.kind] ?? f.kind;
          const traits = [kind, f.language, VOLATILITY[f.volatility] ?? f.volatility];
          if (f.strict) traits.push('strict');
          if (f.security_definer) traits.push('**security definer**');
          if (f.config) traits.push(code(`set ${f.config}`));
          out.push(`#### ${f.schema}.${f.name}`, '');
          out.push(code(`${f.schema}.${f.name}(${f.arguments})${f.result ? ` returns ${f.result}` : ''}`), '');
          out.push(traits.join(' · '), '', paragraph(f.comment), '');
        }
      }
      const tys = types.filter((t) => t.schema === s.name);
      if (tys.length) {
        out.push(`### Types in ${s.name}`, '', '| type | kind | definition | description |', '|---|---|---|---|');
        const kinds: Record<string, string> = { e: 'enum', d: 'domain', c: 'composite', r: 'range' };
        for (const t of tys) {
          out.push(`| ${s.name}.${t.name} | ${kinds[t.kind] ?? t.kind} | ${cell(t.definition)} | ${cell(t.comment)} |`);
        }
        out.push('');
      }
    }

    out.push('## Schema public', '', 'dbmate keeps `public.schema_migrations`; graphile-worker has its own schema. Scoreline’s own:', '');
    for (const r of relations.filter((x) => x.schema === 'public')) renderRelation(r);

    if (eventTriggers.length) {
      out.push('## Event triggers', '', '| event trigger | on | tags | function | description |', '|---|---|---|---|---|');
      for (const e of eventTriggers) {
        const on = e.enabled === 'D' ? `${e.event} (disabled)` : e.event;
        out.push(`| ${cell(e.name)} | ${cell(on)} | ${cell(e.tags)} | ${cell(e.function)} | ${cell(e.comment)} |`);
      }
      out.push('');
    }

    return `${out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd()}\n`;
  });
}

export interface MissingComment {
  kind: string;
  name: string;
}

/**
 * Every table, view, materialized view and function of the scoreline schemas (and
 * public.scoreline_sql_file) that has no COMMENT: the convention every object follows.
 */
export async function missingComments(sql: Sql): Promise<MissingComment[]> {
  return sql<MissingComment[]>`
    with scoreline_schema as (
      select n.oid, n.nspname from pg_catalog.pg_namespace n
       where ${sql.unsafe(FOREIGN_SCHEMA)} and ${sql.unsafe(notExtension('pg_namespace', 'n.oid'))}
    ), missing as (
    select case c.relkind when 'r' then 'table' when 'p' then 'partitioned table' when 'v' then 'view' else 'materialized view' end as kind,
           pg_catalog.format('%I.%I', n.nspname, c.relname) as name
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition
       and (n.oid in (select oid from scoreline_schema) or (n.nspname = 'public' and c.relname = any(${PUBLIC_TABLES}::text[])))
       and ${sql.unsafe(notExtension('pg_class', 'c.oid'))}
       and coalesce(pg_catalog.btrim(pg_catalog.obj_description(c.oid, 'pg_class')), '') = ''
    union all
    select case p.prokind when 'p' then 'procedure' else 'function' end,
           pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
      from pg_catalog.pg_proc p
      join scoreline_schema n on n.oid = p.pronamespace
     where ${sql.unsafe(notExtension('pg_proc', 'p.oid'))}
       and coalesce(pg_catalog.btrim(pg_catalog.obj_description(p.oid, 'pg_proc')), '') = ''
    )
    select kind, name from missing order by name collate "C"`;
}

/**
 * Generate the dictionary from a fresh database on the server of `url`: create a
 * temporary database, migrate it, read its catalog, drop it.
 */
export async function generateSchemaDoc(url: string, log: Logger = silent): Promise<string> {
  const name = `scoreline_docs_${randomBytes(5).toString('hex')}`;
  const admin = connect(withDatabase(url, 'postgres'), { max: 1, applicationName: 'scoreline docs' });
  try {
    await requirePrimary(admin);
    await admin.unsafe(`create database ${name}`);
    try {
      const dbUrl = withDatabase(url, name);
      log('info', `migrating a temporary database ${name}`);
      await migrate(dbUrl);
      const sql = connect(dbUrl, { max: 1, applicationName: 'scoreline docs' });
      try {
        return await renderSchemaDoc(sql);
      } finally {
        await sql.end();
      }
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    }
  } finally {
    await admin.end();
  }
}

/** Undefined when `committed` is `fresh`; otherwise a message saying where they part and what to do. */
export function compareSchemaDoc(committed: string | undefined, fresh: string, file = 'docs/schema.md'): string | undefined {
  if (committed === fresh) return undefined;
  if (committed === undefined) return `${file} does not exist: run \`make docs\` and commit it`;
  const a = committed.split('\n');
  const b = fresh.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (line: string | undefined) =>
    line === undefined ? '(end of file)' : JSON.stringify(line.length > 160 ? `${line.slice(0, 160)}…` : line);
  return [
    `${file} is out of date: it differs from a fresh generation from line ${i + 1}`,
    `  committed: ${show(a[i])}`,
    `  fresh:     ${show(b[i])}`,
    'run `make docs` and commit docs/schema.md',
  ].join('\n');
}

export function register(program: Command, log: Logger): void {
  program
    .command('docs')
    .description('write docs/schema.md, the schema dictionary, from the catalog of a freshly migrated temporary database')
    .option('--check', 'write nothing; fail when docs/schema.md differs from a fresh generation')
    .action(async (opts: { check?: boolean }) => {
      const url = await databaseUrl(log);
      const fresh = await generateSchemaDoc(url, log);
      const rel = path.relative(process.cwd(), schemaDocPath) || schemaDocPath;
      if (opts.check) {
        const committed = await fs.readFile(schemaDocPath, 'utf8').catch(() => undefined);
        const problem = compareSchemaDoc(committed, fresh, rel);
        if (problem) throw new Error(problem);
        log('info', `${rel} is current`);
        return;
      }
      await fs.mkdir(path.dirname(schemaDocPath), { recursive: true });
      await fs.writeFile(schemaDocPath, fresh);
      log('info', `wrote ${rel}`);
    });
}
