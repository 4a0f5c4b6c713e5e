// reconcile_scores: every minute (cron, UTC), queue scoring for every event whose scores or bets
// are behind its result in forecast.event_scoring and that has no job that will run (worker.enqueue_owed).
import type { Task } from 'graphile-worker';
import { againOnConcurrentChange, jobFields, parsePayload, type TaskContext } from './context.ts';
import { cronPayload } from './refresh_tick.ts';

export default function reconcileScores({ log }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('reconcile_scores', cronPayload, payload);
    const { rows } = await againOnConcurrentChange(helpers, log, () =>
      helpers.query<{ queued: number }>('select worker.enqueue_owed() as queued'),
    );
    const queued = rows[0]?.queued ?? 0;
    log(queued > 0 ? 'warn' : 'debug', 'scores owed reconciled', { ...jobFields(helpers), queued });
  };
}
