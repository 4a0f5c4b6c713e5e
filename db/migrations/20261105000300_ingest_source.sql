-- migrate:up
-- Configured sources: the files and URLs the nightly sync (and `scoreline ingest-sync`) loads.

create table ingest.source (
  source_id integer generated always as identity primary key,
  feed text not null constraint source_feed_fk references ingest.feed on delete restrict,
  location text not null constraint source_location_given check (length(btrim(location)) > 0),
  enabled boolean not null default true,
  load_order smallint not null default 100,
  description text,
  last_batch_id bigint constraint source_last_batch_fk references ingest.batch on delete set null,
  constraint source_feed_location_key unique (feed, location)
);
comment on table ingest.source is 'A file or http(s) URL loaded by the nightly sync with its feed; disabled sources are skipped. Loaded in load_order (teams before rosters: nfl_games before nfl_players).';
comment on column ingest.source.load_order is 'Lower loads first; ties in source_id order. A roster source must come after the schedule that creates its teams.';
comment on column ingest.source.last_batch_id is 'The batch of the most recent sync of this source (completed or failed).';

-- migrate:down
drop table ingest.source;
