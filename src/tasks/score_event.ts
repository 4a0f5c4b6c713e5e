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
    const { rows } = await helpers.query<{
      result: { status: string; predictions?: number; bets?: number; requeued?: boolean; refresh_at?: string };
    }>('select worker.score_event($1::bigint, $2::integer) as result', [event_id, config.REFRESH_DEBOUNCE_SECONDS]);
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
