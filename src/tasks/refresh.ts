// refresh: refresh what is stale or due (refresh.run_due), for a debounced event refresh or an HTTP request.
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { againOnConcurrentChange, jobFields, parsePayload, runDueAndObserve, supersededWhileRunning, type TaskContext } from './context.ts';

export const refreshPayload = z.object({
  trigger: z.enum(['event', 'http', 'manual', 'cron']).default('event'),
});

export default function refresh(ctx: TaskContext): Task {
  const { log } = ctx;
  return async (payload, helpers) => {
    const { trigger } = parsePayload('refresh', refreshPayload, payload);
    const started = Date.now();
    // A procedure that commits between objects: called outside any transaction, and again when
    // a concurrent pass or scoring deadlocked it (what it committed stays; the rest is still due).
    try {
      await againOnConcurrentChange(helpers, log, () => runDueAndObserve(helpers, ctx, trigger), { fields: { trigger } });
    } catch (err) {
      // every scoring re-queues the debounced refresh: a running one is replaced all through a burst
      if (!(await supersededWhileRunning(helpers))) throw err;
      log('warn', 'refresh failed, but a newer refresh job replaced this one while it ran: it does the work', {
        ...jobFields(helpers),
        trigger,
        error: (err as Error).message,
      });
      return;
    }
    log('info', 'refresh finished', { ...jobFields(helpers), trigger, ms: Date.now() - started });
  };
}
