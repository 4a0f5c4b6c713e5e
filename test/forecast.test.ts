// Forecasters and predictions: every bad write is refused with a named constraint
// or a raised error in SL030-SL059.
import t from 'tap';
import { rejectsWith, testDb } from './helpers/db.ts';

t.test('forecaster: models need name + version unique, users a unique handle', async (t) => {
  const { sql } = await testDb(t);
  await sql`insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'elo', '1', 'elo')`;
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'elo', '1', 'elo')`, {
    code: '23505',
    constraint: 'forecaster_model_name_version_key',
  });
  await sql`insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'elo', '2', 'elo')`;
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, model_type) values ('model', 'x', 'elo')`, {
    code: '23514',
    constraint: 'forecaster_model_has_version',
  });
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name) values ('user', 'Ann')`, {
    code: '23514',
    constraint: 'forecaster_user_has_handle',
  });
  await sql`insert into forecast.forecaster (kind, name, handle) values ('user', 'Ann', 'ann')`;
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, handle) values ('user', 'Ann B', 'ANN')`, {
    code: '23505',
    constraint: 'forecaster_user_handle_key',
  });
  await rejectsWith(
    t,
    sql`insert into forecast.forecaster (kind, name, version, model_type, handle) values ('model', 'm', '1', 'x', 'mm')`,
    {
      code: '23514',
      constraint: 'forecaster_model_has_no_handle',
    },
  );
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, handle) values ('user', 'Bob', 'b b')`, {
    code: '23514',
    constraint: 'forecaster_handle_format',
  });
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name) values ('bot', 'Bob')`, {
    code: '23514',
    constraint: 'forecaster_kind_known',
  });
  await rejectsWith(
    t,
    sql`insert into forecast.forecaster (kind, name, version, model_type, hyperparameters) values ('model', 'h', '1', 'x', '[1]')`,
    { code: '23514', constraint: 'forecaster_hyperparameters_is_object' },
  );
  await rejectsWith(
    t,
    sql`insert into forecast.forecaster (kind, name, version, model_type, metrics) values ('model', 'h', '1', 'x', '3')`,
    {
      code: '23514',
      constraint: 'forecaster_metrics_is_object',
    },
  );
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, handle) values ('user', ' ', 'blank')`, {
    code: '23514',
    constraint: 'forecaster_name_given',
  });
  const [s] = await sql<{ n: number }[]>`select count(*)::int as n from pg_namespace where nspname = 'stats'`;
  t.equal(s?.n, 1, 'schema stats exists');
});
