// refresh_tick: every minute (cron, UTC), refresh what is due by its frequency or stale.
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { againOnConcurrentChange, jobFields, parsePayload, runDueAndObserve, type TaskContext } from './context.ts';

export const cronPayload = z.object({ _cron: z.object({ ts: z.string(), backfilled: z.boolean().optional() }).optional() });

export default function refreshTick(ctx: TaskContext): Task {
  const { log } = ctx;
  return async (payload, helpers) => {
    parsePayload('refresh_tick', cronPayload, payload);
    const started = Date.now();
    await againOnConcurrentChange(helpers, log, () => runDueAndObserve(helpers, ctx, 'cron'));
    log('debug', 'refresh tick finished', { ...jobFields(helpers), ms: Date.now() - started });
  };
}
