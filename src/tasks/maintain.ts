// maintain: partition maintenance, the refresh reaper, audit retention, old failed jobs (worker.maintain).
import type { Task } from 'graphile-worker';
import { againOnConcurrentChange, jobFields, parsePayload, type TaskContext } from './context.ts';
import { cronPayload } from './refresh_tick.ts';

export default function maintain({ log }: TaskContext): Task {
  return async (payload, helpers) => {
    parsePayload('maintain', cronPayload, payload);
    const started = Date.now();
    // each step commits on its own: run again after a deadlock, it does what is still to do
    await againOnConcurrentChange(helpers, log, () => helpers.withPgClient((client) => client.query('call worker.maintain()')));
    log('info', 'maintenance finished', { ...jobFields(helpers), ms: Date.now() - started });
  };
}
