-- migrate:up
-- The hkjc_results feed: Hong Kong Jockey Club race results, one row per runner.

create unlogged table ingest.stage_hkjc_results (
  batch_id bigint not null,
  line_number integer not null,
  raw text not null,
  race_date date not null,
  venue text not null,
  race_no smallint not null,
  race_meeting_no integer,
  race_name text,
  race_class text,
  distance_m smallint,
  rating_range text,
  going text,
  course text,
  prize_hkd bigint,
  race_finish_time text,
  sectional_times text,
  runner_status text not null,
  place smallint,
  dead_heat boolean not null,
  horse_no smallint not null,
  horse_name text not null,
  horse_code text,
  jockey text,
  trainer text,
  actual_wt_lbs smallint,
  declared_wt_lbs smallint,
  draw smallint,
  lbw text,
  running_position text,
  finish_time interval,
  win_odds numeric
);
comment on table ingest.stage_hkjc_results is 'Staging for the hkjc_results feed (HKJC race results, one row per runner): valid rows of running batches.';
comment on column ingest.stage_hkjc_results.venue is 'ST (Sha Tin, 沙田) or HV (Happy Valley, 跑馬地).';
comment on column ingest.stage_hkjc_results.runner_status is 'core.runner status from the place column: a number is finished, PU/FE/UR/DNF did_not_finish, DISQ disqualified, WV/WX/TNP non_runner.';
comment on column ingest.stage_hkjc_results.dead_heat is 'The place was shared (平頭馬 or DH after the number).';
create index stage_hkjc_results_batch_idx on ingest.stage_hkjc_results (batch_id);

insert into ingest.feed (code, description, staging_table, merge_function) values
  ('hkjc_results', 'Horse racing results, Hong Kong Jockey Club format (one row per runner)', 'ingest.stage_hkjc_results', 'ingest.merge_hkjc_results');

-- migrate:down
delete from ingest.feed where code = 'hkjc_results';
drop table ingest.stage_hkjc_results;
