// score_event: settle and score one event, settle its bets, re-queue it when a change committed meanwhile,
// then queue the debounced refresh (worker.score_event).
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

export default function scoreEvent({ config, log }: TaskContext): Task {
  return async (payload, helpers) => {
    const { event_id } = parsePayload('score_event', scoreEventPayload, payload);
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
