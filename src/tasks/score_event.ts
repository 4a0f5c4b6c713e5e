// score_event: settle and score one event, settle its bets, re-queue it when a change committed meanwhile,
// then queue the debounced refresh (worker.score_event).
import type { Task } from 'graphile-worker';
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

export default function scoreEvent({ config, log }: TaskContext): Task {
  return async (payload, helpers) => {
    const { event_id } = parsePayload('score_event', scoreEventPayload, payload);
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
