// refresh: refresh what is stale or due (refresh.run_due), for a debounced event refresh or an HTTP request.
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { jobFields, parsePayload, runDueAndObserve, type TaskContext } from './context.ts';

export const refreshPayload = z.object({
  trigger: z.enum(['event', 'http', 'manual', 'cron']).default('event'),
});

export default function refresh(ctx: TaskContext): Task {
  const { log } = ctx;
  return async (payload, helpers) => {
    const { trigger } = parsePayload('refresh', refreshPayload, payload);
    const started = Date.now();
    // A procedure that commits between objects: called outside any transaction.
    await runDueAndObserve(helpers, ctx, trigger);
    log('info', 'refresh finished', { ...jobFields(helpers), trigger, ms: Date.now() - started });
  };
}
