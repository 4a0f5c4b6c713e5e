// What the demo's steps share: one context per run, passed to every step. State a step
// leaves for later ones (the held-back NFL results, the running worker) lives here too.
import type { Sql } from '../db.ts';
import type { BatchRow } from '../ingest/feed.ts';
import type { Logger } from '../log.ts';
import type { WorkerHandle } from '../worker/runner.ts';

/** A CSV file read whole: its header and its rows by column name. */
export interface CsvFile {
  header: string[];
  rows: Record<string, string>[];
}

/** The current NFL season's results, held back at load and replayed week by week. */
export interface HeldBackResults {
  csv: CsvFile;
  season: string;
  rows: Record<string, string>[];
  /** When the last replayed file was loaded (ms since the epoch). */
  lastCompletion?: number;
  /** Results that arrived during the replay. */
  completions: number;
}

export interface DemoContext {
  url: string;
  sql: Sql;
  /** Progress lines (stderr). */
  log: Logger;
  /** What the demo shows (stdout). */
  out: (text: string) => void;
  /** Where the sample files are: data/ of the checkout. */
  dataDir: string;
  /** A scratch directory for the files the demo writes, removed when it ends. */
  tmp: string;
  /** When the run started (ms since the epoch). */
  startedAt: number;
  /** The batches the load steps ran, for later steps to report on. */
  batches: BatchRow[];
  /** Set by the NFL load step. */
  heldBack?: HeldBackResults;
  /** Set by the worker step, stopped when the demo ends (also when a step failed). */
  worker?: WorkerHandle;
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<void>;
}
