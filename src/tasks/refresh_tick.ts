// refresh_tick: every minute (cron, UTC), refresh what is due by its frequency or stale.
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { jobFields, parsePayload, type TaskContext } from './context.ts';

export const cronPayload = z.object({ _cron: z.object({ ts: z.string(), backfilled: z.boolean().optional() }).optional() });

export default function refreshTick({ log }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('refresh_tick', cronPayload, payload);
    const started = Date.now();
    await helpers.withPgClient((client) => client.query("call refresh.run_due(p_trigger => 'cron')"));
    log('debug', 'refresh tick finished', { ...jobFields(helpers), ms: Date.now() - started });
  };
}
