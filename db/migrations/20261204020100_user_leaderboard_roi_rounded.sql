-- migrate:up
-- stats.user_leaderboard rounds its ROI as the other statistics views round their ratios
-- (issue 15): roi to 4 decimals, roi_exact (appended) at full precision. A materialized
-- view's query cannot be altered: it is dropped and created again, with its comments and
-- indexes; what the refresh registry holds for it (its refresh.object settings and
-- status, checks attached to it, dependencies declared by hand, its runs) follows it to
-- its new oid, its privileges are granted again, and it is filled again if it was.
-- Nothing else reads it in the database (no view depends on it).

-- What the registry holds for the view, by its oid (which the drop ends): its refresh.object
-- row, the checks attached to it, dependencies declared by hand, its runs' object.
create temporary table user_leaderboard_saved on commit drop as
select o.*, (select m.ispopulated from pg_catalog.pg_matviews m where m.schemaname = 'stats' and m.matviewname = 'user_leaderboard') as was_populated
  from refresh.object o where o.object = 'stats.user_leaderboard'::regclass;
create temporary table user_leaderboard_checks on commit drop as
select c.check_id from refresh."check" c where c.object = 'stats.user_leaderboard'::regclass;
update refresh."check" c set object = null where c.object = 'stats.user_leaderboard'::regclass;
create temporary table user_leaderboard_declared on commit drop as
select d.dependent::text as dependent, d.parent::text as parent, d.strength, d.origin, d.note
  from refresh.dependency d
 where d.origin <> 'catalog' and 'stats.user_leaderboard'::regclass in (d.dependent, d.parent);
create temporary table user_leaderboard_old on commit drop as select 'stats.user_leaderboard'::regclass::oid as old_oid;
-- and its privileges (sql/090_roles.sql's, given again by the next migrate; kept here too)
create temporary table user_leaderboard_acl on commit drop as
select case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(r.rolname) end as grantee, a.privilege_type, a.is_grantable
  from pg_catalog.pg_class c
 cross join lateral pg_catalog.aclexplode(c.relacl) a
  left join pg_catalog.pg_roles r on r.oid = a.grantee
 where c.oid = 'stats.user_leaderboard'::regclass and a.grantee <> c.relowner;

drop materialized view stats.user_leaderboard;
create materialized view stats.user_leaderboard as
select e.season_id,
       ps.forecaster_id,
       f.handle,
       count(*)::integer as predictions,
       (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
       (count(*) filter (where ps.outcome = 'void'))::integer as void_count,
       sum(ps.points) as points,
       coalesce(sum(ps.units), 0) as units,
       sum(ps.staked) as staked,
       round(sum(ps.units) / nullif(sum(ps.staked) filter (where ps.units is not null), 0), 4) as roi,
       rank() over (partition by e.season_id order by sum(ps.points) desc)::integer as rank,
       sum(ps.units) / nullif(sum(ps.staked) filter (where ps.units is not null), 0) as roi_exact
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'user'
  join core.event e on e.event_id = ps.event_id
 group by e.season_id, ps.forecaster_id, f.handle
with no data;
comment on materialized view stats.user_leaderboard is 'Users ranked by points per season, with units won or lost and ROI = units / units staked. The ROI people read is rounded to 4 decimals (roi); roi_exact keeps full precision. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';
comment on column stats.user_leaderboard.rank is 'rank() by points within the season: ties share a rank.';
comment on column stats.user_leaderboard.roi is 'units / staked over predictions that won or lost at odds, rounded to 4 decimals; null when nothing was staked. roi_exact keeps full precision.';
comment on column stats.user_leaderboard.roi_exact is 'roi at full precision: units / staked over predictions that won or lost at odds; null when nothing was staked.';
create unique index user_leaderboard_season_forecaster_key on stats.user_leaderboard (season_id, forecaster_id);
create index user_leaderboard_season_rank_idx on stats.user_leaderboard (season_id, rank);

-- The registry as it was: the event triggers registered the new view with defaults (and
-- the dependencies read from the catalog); its settings, checks, declared dependencies
-- and runs follow it to its new oid.
insert into refresh.object (object, kind, method, registered_by)
select 'stats.user_leaderboard'::regclass, s.kind, s.method, s.registered_by from user_leaderboard_saved s
on conflict (object) do nothing;
update refresh.object o
   set kind = s.kind, enabled = s.enabled, method = s.method, refresh_function = s.refresh_function, parameters = s.parameters,
       priority = s.priority, frequency = s.frequency, sla = s.sla, stale_since = s.stale_since, next_refresh_at = s.next_refresh_at,
       last_refresh_at = s.last_refresh_at, last_duration = s.last_duration, last_status = s.last_status, last_error = s.last_error,
       registered_at = s.registered_at, registered_by = s.registered_by
  from user_leaderboard_saved s
 where o.object = 'stats.user_leaderboard'::regclass;
update refresh."check" c set object = 'stats.user_leaderboard'::regclass
 where c.check_id in (select k.check_id from user_leaderboard_checks k);
insert into refresh.dependency (dependent, parent, strength, origin, note)
select d.dependent::regclass, d.parent::regclass, d.strength, d.origin, d.note from user_leaderboard_declared d
on conflict do nothing;
update refresh.run r set object = 'stats.user_leaderboard'::regclass
 where r.object::oid = (select o.old_oid from user_leaderboard_old o);
-- granted and filled as it was: a view that had been refreshed is refreshed again here
do $$
declare
  v_g record;
begin
  for v_g in select g.grantee, g.privilege_type, g.is_grantable from user_leaderboard_acl g loop
    execute format('grant %s on stats.user_leaderboard to %s%s', v_g.privilege_type, v_g.grantee,
                   case when v_g.is_grantable then ' with grant option' else '' end);
  end loop;
  if (select s.was_populated from user_leaderboard_saved s) then
    refresh materialized view stats.user_leaderboard;
  end if;
end;
$$;

-- migrate:down
-- What the registry holds for the view, by its oid (which the drop ends): its refresh.object
-- row, the checks attached to it, dependencies declared by hand, its runs' object.
create temporary table user_leaderboard_saved on commit drop as
select o.*, (select m.ispopulated from pg_catalog.pg_matviews m where m.schemaname = 'stats' and m.matviewname = 'user_leaderboard') as was_populated
  from refresh.object o where o.object = 'stats.user_leaderboard'::regclass;
create temporary table user_leaderboard_checks on commit drop as
select c.check_id from refresh."check" c where c.object = 'stats.user_leaderboard'::regclass;
update refresh."check" c set object = null where c.object = 'stats.user_leaderboard'::regclass;
create temporary table user_leaderboard_declared on commit drop as
select d.dependent::text as dependent, d.parent::text as parent, d.strength, d.origin, d.note
  from refresh.dependency d
 where d.origin <> 'catalog' and 'stats.user_leaderboard'::regclass in (d.dependent, d.parent);
create temporary table user_leaderboard_old on commit drop as select 'stats.user_leaderboard'::regclass::oid as old_oid;
-- and its privileges (sql/090_roles.sql's, given again by the next migrate; kept here too)
create temporary table user_leaderboard_acl on commit drop as
select case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(r.rolname) end as grantee, a.privilege_type, a.is_grantable
  from pg_catalog.pg_class c
 cross join lateral pg_catalog.aclexplode(c.relacl) a
  left join pg_catalog.pg_roles r on r.oid = a.grantee
 where c.oid = 'stats.user_leaderboard'::regclass and a.grantee <> c.relowner;

drop materialized view stats.user_leaderboard;
create materialized view stats.user_leaderboard as
select e.season_id,
       ps.forecaster_id,
       f.handle,
       count(*)::integer as predictions,
       (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
       (count(*) filter (where ps.outcome = 'void'))::integer as void_count,
       sum(ps.points) as points,
       coalesce(sum(ps.units), 0) as units,
       sum(ps.staked) as staked,
       sum(ps.units) / nullif(sum(ps.staked) filter (where ps.units is not null), 0) as roi,
       rank() over (partition by e.season_id order by sum(ps.points) desc)::integer as rank
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'user'
  join core.event e on e.event_id = ps.event_id
 group by e.season_id, ps.forecaster_id, f.handle
with no data;
comment on materialized view stats.user_leaderboard is 'Users ranked by points per season, with units won or lost and ROI = units / units staked. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';
comment on column stats.user_leaderboard.rank is 'rank() by points within the season: ties share a rank.';
comment on column stats.user_leaderboard.roi is 'units / staked over predictions that won or lost at odds; null when nothing was staked.';
create unique index user_leaderboard_season_forecaster_key on stats.user_leaderboard (season_id, forecaster_id);
create index user_leaderboard_season_rank_idx on stats.user_leaderboard (season_id, rank);

-- The registry as it was: the event triggers registered the new view with defaults (and
-- the dependencies read from the catalog); its settings, checks, declared dependencies
-- and runs follow it to its new oid.
insert into refresh.object (object, kind, method, registered_by)
select 'stats.user_leaderboard'::regclass, s.kind, s.method, s.registered_by from user_leaderboard_saved s
on conflict (object) do nothing;
update refresh.object o
   set kind = s.kind, enabled = s.enabled, method = s.method, refresh_function = s.refresh_function, parameters = s.parameters,
       priority = s.priority, frequency = s.frequency, sla = s.sla, stale_since = s.stale_since, next_refresh_at = s.next_refresh_at,
       last_refresh_at = s.last_refresh_at, last_duration = s.last_duration, last_status = s.last_status, last_error = s.last_error,
       registered_at = s.registered_at, registered_by = s.registered_by
  from user_leaderboard_saved s
 where o.object = 'stats.user_leaderboard'::regclass;
update refresh."check" c set object = 'stats.user_leaderboard'::regclass
 where c.check_id in (select k.check_id from user_leaderboard_checks k);
insert into refresh.dependency (dependent, parent, strength, origin, note)
select d.dependent::regclass, d.parent::regclass, d.strength, d.origin, d.note from user_leaderboard_declared d
on conflict do nothing;
update refresh.run r set object = 'stats.user_leaderboard'::regclass
 where r.object::oid = (select o.old_oid from user_leaderboard_old o);
-- granted and filled as it was: a view that had been refreshed is refreshed again here
do $$
declare
  v_g record;
begin
  for v_g in select g.grantee, g.privilege_type, g.is_grantable from user_leaderboard_acl g loop
    execute format('grant %s on stats.user_leaderboard to %s%s', v_g.privilege_type, v_g.grantee,
                   case when v_g.is_grantable then ' with grant option' else '' end);
  end loop;
  if (select s.was_populated from user_leaderboard_saved s) then
    refresh materialized view stats.user_leaderboard;
  end if;
end;
$$;
