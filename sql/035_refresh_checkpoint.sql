-- refresh: checkpoints of long jobs, so an interrupted job resumes.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL065  a checkpoint that is not active (completed or expired) was advanced or completed
--   SL066  a checkpoint position outside 0..total or moving backwards

-- ---------------------------------------------------------------------------
-- Checkpoints
-- ---------------------------------------------------------------------------

create or replace function refresh.checkpoint_start(p_function text, p_target text, p_total bigint default null,
                                                    p_ttl interval default '1 hour')
returns refresh.checkpoint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_checkpoint refresh.checkpoint;
begin
  update refresh.checkpoint k set status = 'expired', updated_at = now()
   where k.function_name = p_function and k.target = p_target and k.status = 'active' and k.expires_at < now();
  insert into refresh.checkpoint (function_name, target, total, expires_at)
  values (p_function, p_target, p_total, now() + p_ttl)
  on conflict (function_name, target) where status = 'active' do nothing
  returning * into v_checkpoint;
  if v_checkpoint.checkpoint_id is null then
    select * into v_checkpoint from refresh.checkpoint k
     where k.function_name = p_function and k.target = p_target and k.status = 'active';
  end if;
  return v_checkpoint;
end;
$$;
comment on function refresh.checkpoint_start(text, text, bigint, interval) is
  'Starts a checkpoint for a long job, or returns the active one to resume from (its position says where). An expired one is not resumed.';

create or replace function refresh.checkpoint_resume(p_function text, p_target text) returns refresh.checkpoint
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select * from refresh.checkpoint k
   where k.function_name = p_function and k.target = p_target and k.status = 'active' and k.expires_at >= now()
$$;
comment on function refresh.checkpoint_resume(text, text) is 'The active, unexpired checkpoint of a job on a target, or null: where to resume.';

create or replace function refresh.checkpoint_advance(p_checkpoint_id bigint, p_position bigint, p_state jsonb default null,
                                                      p_ttl interval default '1 hour')
returns refresh.checkpoint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_checkpoint refresh.checkpoint;
begin
  select * into v_checkpoint from refresh.checkpoint k where k.checkpoint_id = p_checkpoint_id for update;
  if not found or v_checkpoint.status <> 'active' or v_checkpoint.expires_at < now() then
    raise exception 'checkpoint % is not active (%)', p_checkpoint_id, coalesce(case when v_checkpoint.status = 'active' then 'expired' else v_checkpoint.status end, 'no such checkpoint')
      using errcode = 'SL065', hint = 'call refresh.checkpoint_start again to start over or resume the active one';
  end if;
  if p_position is null or p_position < v_checkpoint.position or (v_checkpoint.total is not null and p_position > v_checkpoint.total) then
    raise exception 'checkpoint % (% on %): position % is outside % .. %', p_checkpoint_id, v_checkpoint.function_name, v_checkpoint.target, p_position,
                    v_checkpoint.position, coalesce(v_checkpoint.total::text, 'unbounded')
      using errcode = 'SL066', hint = 'a checkpoint only moves forward, up to its total';
  end if;
  update refresh.checkpoint k
     set position = p_position, state = coalesce(p_state, k.state), updated_at = now(), expires_at = now() + p_ttl
   where k.checkpoint_id = p_checkpoint_id
  returning * into v_checkpoint;
  return v_checkpoint;
end;
$$;
comment on function refresh.checkpoint_advance(bigint, bigint, jsonb, interval) is
  'Records progress (a position that only moves forward, optional state) and extends the expiry; refuses a checkpoint that is not active (SL065) or a bad position (SL066).';

create or replace function refresh.checkpoint_complete(p_checkpoint_id bigint) returns refresh.checkpoint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_checkpoint refresh.checkpoint;
begin
  update refresh.checkpoint k set status = 'completed', position = coalesce(k.total, k.position), updated_at = now()
   where k.checkpoint_id = p_checkpoint_id and k.status = 'active'
  returning * into v_checkpoint;
  if v_checkpoint.checkpoint_id is null then
    raise exception 'checkpoint % is not active', p_checkpoint_id
      using errcode = 'SL065', hint = 'only an active checkpoint can be completed';
  end if;
  return v_checkpoint;
end;
$$;
comment on function refresh.checkpoint_complete(bigint) is 'Marks a job''s checkpoint completed; the next checkpoint_start for it starts from 0.';
