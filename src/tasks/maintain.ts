// maintain: partition maintenance, the refresh reaper, audit retention, old failed jobs (worker.maintain).
import type { Task } from 'graphile-worker';
import { jobFields, parsePayload, type TaskContext } from './context.ts';
import { cronPayload } from './refresh_tick.ts';

export default function maintain({ log }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('maintain', cronPayload, payload);
    const started = Date.now();
    await helpers.withPgClient((client) => client.query('call worker.maintain()'));
    log('info', 'maintenance finished', { ...jobFields(helpers), ms: Date.now() - started });
  };
}
