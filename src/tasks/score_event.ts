// score_event: settle and score one event, settle its bets, re-queue it when a change committed meanwhile,
// then queue the debounced refresh (worker.score_event).
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { jobFields, parsePayload, type TaskContext } from './context.ts';

export const scoreEventPayload = z.object({
  event_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  result_version: z.number().int().min(0).optional(),
});

export default function scoreEvent({ config, log }: TaskContext): Task {
  return async (payload, helpers) => {
    const { event_id } = parsePayload('score_event', scoreEventPayload, payload);
    type Result = { result: { status: string; predictions?: number; bets?: number; requeued?: boolean; refresh_at?: string } };
    let rows: Result[];
    try {
      ({ rows } = await helpers.query<Result>('select worker.score_event($1::bigint, $2::integer) as result', [
        event_id,
        config.REFRESH_DEBOUNCE_SECONDS,
      ]));
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
