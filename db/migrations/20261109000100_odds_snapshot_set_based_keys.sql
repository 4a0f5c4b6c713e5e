-- migrate:up
-- Odds snapshots without per-row foreign keys. The two foreign keys of
-- market.odds_snapshot (selection_id -> market.selection, source_id -> market.source)
-- cost every COPYed row two referential-integrity trigger calls, which made the COPY path
-- 5-6 times slower than a plain COPY. Referential integrity is kept set-based instead
-- (sql/060_trade.sql, docs/timeseries.md "Referential integrity without per-row keys"):
-- - copyOddsSnapshots checks the distinct selection and source ids of a load in one
--   statement, locking the selections and sources it found (FOR KEY SHARE, as a foreign
--   key would) and failing the load with SL100 naming the unknown ids;
-- - deleting selections deletes their snapshots (statement-level trigger, one
--   set-based delete that the primary key's selection_id prefix serves in every partition);
-- - deleting a source with snapshots is refused (SL101), as ON DELETE RESTRICT did;
-- - maint.dq_orphaned_odds() counts snapshots whose selection or source is missing
--   (0 = healthy), for rows written by other paths.
alter table market.odds_snapshot
  drop constraint odds_snapshot_selection_fk,
  drop constraint odds_snapshot_source_fk;

-- migrate:down
alter table market.odds_snapshot
  add constraint odds_snapshot_selection_fk foreign key (selection_id) references market.selection on delete cascade,
  add constraint odds_snapshot_source_fk foreign key (source_id) references market.source on delete restrict;
