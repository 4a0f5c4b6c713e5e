// score_event: settle and score one event, settle its bets, re-queue it when a change committed meanwhile,
// then queue the debounced refresh (worker.score_event). In a burst, the job claims other ready
// score_event jobs (up to SCORE_BATCH_SIZE events in all) and scores them as one set
// (worker.score_events, sql/081_worker_batch.sql); a batch that fails gives them back and this
// job's event is scored alone.
import type { JobHelpers, Task } from 'graphile-worker';
import { z } from 'zod';
import {
  againOnConcurrentChange,
  CONCURRENT_CHANGE,
  jobFields,
  parsePayload,
  supersededWhileRunning,
  type TaskContext,
} from './context.ts';

type Result = { result: { status: string; predictions?: number; bets?: number; requeued?: boolean; refresh_at?: string } };

export const scoreEventPayload = z.object({
  event_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  result_version: z.number().int().min(0).optional(),
});

/**
 * A scoring may also meet a prediction deleted after it read it (its score's foreign key,
 * 23503): run again, it sees the delete and succeeds.
 */
const SCORING_RACES: ReadonlySet<string> = new Set([...CONCURRENT_CHANGE, '23503']);

type BatchResult = {
  result: {
    events: number;
    predictions: number;
    bets: number;
    requeued: number[];
    gone: number[];
    scored: { event_id: number; predictions: number }[];
  };
};

/**
 * The other ready score_event jobs claimed for this worker, scored with this job's event in one
 * transaction that also completes them; run again (againOnConcurrentChange) when a concurrent
 * change made it fail. Null when there was nothing to claim, or when the batch failed: the claimed
 * jobs are then given back (each runs alone) and this job's event is scored alone.
 */
async function scoreBatch(
  helpers: JobHelpers,
  eventId: number,
  config: TaskContext['config'],
  log: TaskContext['log'],
): Promise<BatchResult['result'] | null> {
  const lockedBy = helpers.job.locked_by;
  if (config.SCORE_BATCH_SIZE < 2 || !lockedBy) return null;
  const { rows: claimed } = await helpers.query<{ job_id: string; event_id: string }>(
    'select job_id::text, event_id::text from worker.claim_score_jobs($1::text, $2::bigint, $3::integer)',
    [lockedBy, helpers.job.id, config.SCORE_BATCH_SIZE - 1],
  );
  if (claimed.length === 0) return null;
  const jobIds = claimed.map((c) => c.job_id);
  const eventIds = [String(eventId), ...claimed.map((c) => c.event_id)];
  try {
    return await againOnConcurrentChange(
      helpers,
      log,
      () =>
        helpers.withPgClient(async (client) => {
          await client.query('begin');
          try {
            const { rows } = await client.query<BatchResult>('select worker.score_events($1::bigint[], $2::integer) as result', [
              eventIds,
              config.REFRESH_DEBOUNCE_SECONDS,
            ]);
            await client.query('select worker.complete_score_jobs($1::bigint[], $2::text)', [jobIds, lockedBy]);
            await client.query('commit');
            return rows[0]!.result;
          } catch (err) {
            await client.query('rollback');
            throw err;
          }
        }),
      { codes: SCORING_RACES, fields: { event_id: eventId, events: eventIds.length } },
    );
  } catch (err) {
    await helpers.query('select worker.release_score_jobs($1::bigint[], $2::text)', [jobIds, lockedBy]);
    log('warn', 'batch scoring failed; its other jobs were given back and this event is scored alone', {
      ...jobFields(helpers),
      event_id: eventId,
      events: eventIds.length,
      error: (err as Error).message,
    });
    return null;
  }
}

export default function scoreEvent({ config, log }: TaskContext): Task {
  return async (payload, helpers) => {
    const { event_id } = parsePayload('score_event', scoreEventPayload, payload);
    const batch = await scoreBatch(helpers, event_id, config, log);
    if (batch) {
      // one line per event, as when it is scored alone (operators and tests follow an event by its id)
      for (const e of batch.scored) {
        log('info', 'event scored', {
          ...jobFields(helpers),
          event_id: e.event_id,
          predictions: e.predictions,
          batch_events: batch.events,
        });
      }
      log('info', 'events scored as a batch', {
        ...jobFields(helpers),
        event_id,
        events: batch.events,
        predictions: batch.predictions,
        bets: batch.bets,
        requeued: batch.requeued.length,
        gone: batch.gone.length,
      });
      return;
    }
    let rows: Result[];
    try {
      ({ rows } = await againOnConcurrentChange(
        helpers,
        log,
        () =>
          helpers.query<Result>('select worker.score_event($1::bigint, $2::integer) as result', [
            event_id,
            config.REFRESH_DEBOUNCE_SECONDS,
          ]),
        { codes: SCORING_RACES, fields: { event_id } },
      ));
    } catch (err) {
      // a correction while this ran queued a newer job with the same key: it does the work
      if (!(await supersededWhileRunning(helpers))) throw err;
      log('warn', 'scoring failed, but a newer job for the event replaced this one while it ran: it does the work', {
        ...jobFields(helpers),
        event_id,
        error: (err as Error).message,
      });
      return;
    }
    const result = rows[0]?.result;
    log('info', result?.status === 'gone' ? 'event no longer exists; nothing to score' : 'event scored', {
      ...jobFields(helpers),
      event_id,
      predictions: result?.predictions,
      bets: result?.bets,
      requeued: result?.requeued,
      refresh_at: result?.refresh_at,
    });
  };
}
