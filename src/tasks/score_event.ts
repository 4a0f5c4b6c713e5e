// score_event: settle and score one event, settle its bets, re-queue it when a change committed meanwhile,
// then queue the debounced refresh (worker.score_event). In a burst, the job claims other ready
// score_event jobs (up to SCORE_BATCH_SIZE events in all) and scores them as one set
// (worker.score_events, sql/081_worker_batch.sql); a batch that fails gives them back and this
// job's event is scored alone.
import type { JobHelpers, Task } from 'graphile-worker';
import { z } from 'zod';
import { jobFields, parsePayload, type TaskContext } from './context.ts';

type Result = { result: { status: string; predictions?: number; bets?: number; requeued?: boolean; refresh_at?: string } };

export const scoreEventPayload = z.object({
  event_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  result_version: z.number().int().min(0).optional(),
});

/**
 * Errors a scoring may meet because of a concurrent change and not its own: a prediction
 * deleted after the scoring read it (its score's foreign key, 23503), a deadlock (40P01) or a
 * serialization failure (40001). Run again at once, the scoring sees the change and succeeds.
 */
const TRANSIENT = new Set(['23503', '40P01', '40001']);
const TRIES = 3;

/** worker.score_event, run again (up to TRIES times) when a concurrent change made it fail. */
async function scoreOnce(helpers: JobHelpers, eventId: number, debounce: number, log: TaskContext['log']): Promise<Result[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await helpers.query<Result>('select worker.score_event($1::bigint, $2::integer) as result', [eventId, debounce]);
      return rows;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= TRIES || !code || !TRANSIENT.has(code)) throw err;
      log('warn', 'scoring met a concurrent change; running it again', {
        ...jobFields(helpers),
        event_id: eventId,
        attempt,
        sqlstate: code,
        error: (err as Error).message,
      });
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

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
 * transaction that also completes them; run again (up to TRIES times) when a concurrent change
 * made it fail. Null when there was nothing to claim. On a failure the claimed jobs are given
 * back (each then runs alone) and the error is thrown.
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
    for (let attempt = 1; ; attempt++) {
      try {
        return await helpers.withPgClient(async (client) => {
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
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= TRIES || !code || !TRANSIENT.has(code)) throw err;
        log('warn', 'batch scoring met a concurrent change; running it again', {
          ...jobFields(helpers),
          event_id: eventId,
          events: eventIds.length,
          attempt,
          sqlstate: code,
          error: (err as Error).message,
        });
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
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
      rows = await scoreOnce(helpers, event_id, config.REFRESH_DEBOUNCE_SECONDS, log);
    } catch (err) {
      // A correction while this ran queued a newer job with the same key: graphile-worker took the
      // key off this one and used up its attempts, so a failure here would be left failed for good
      // although the newer job does the same work with newer information. End it instead.
      const { rows: own } = await helpers.query<{ superseded: boolean }>(
        'select key is null as superseded from graphile_worker._private_jobs where id = $1',
        [helpers.job.id],
      );
      if (!own[0]?.superseded) throw err;
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
