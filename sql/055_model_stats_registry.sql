-- The refresh orchestrator's view of the incrementally maintained model statistics
-- (applied after sql/050_refresh.sql has registered everything in stats): the sums are
-- refreshed by folding their deltas (method function stats.fold_model_stats), and the
-- delta tables are declared as what makes them stale, so appending a delta marks them
-- stale and `make refresh` or the debounced refresh folds it. A DBA's later changes
-- to these rows are kept: only rows still as registered ('maintained') are changed.

update refresh.object
   set method = 'function', refresh_function = 'stats.fold_model_stats'
 where object in ('stats.model_stats_competition_agg'::regclass, 'stats.model_stats_club_agg'::regclass)
   and method = 'maintained';

insert into refresh.dependency (dependent, parent, strength, origin, note)
values ('stats.model_stats_competition_agg', 'stats.model_stats_competition_delta', 'hard', 'declared',
        'scoring appends deltas here; stats.fold_model_stats moves them into the sums'),
       ('stats.model_stats_club_agg', 'stats.model_stats_club_delta', 'hard', 'declared',
        'scoring appends deltas here; stats.fold_model_stats moves them into the sums')
on conflict (dependent, parent) do nothing;
