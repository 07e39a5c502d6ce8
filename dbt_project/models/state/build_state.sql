-- The state this build starts from, read once, before any other model runs, and kept (one row)
-- until the next build: the last completed build (intermediate.completed_builds: how far it
-- had read each input of the per-campaign models) and the watermark of every model that appends
-- by arrival (the newest row it held when this build began), and how many runs started since
-- that build without completing one (unfinished_runs). Every incremental decision reads
-- this row through the `build_state()` macro (macros/incremental.sql), so that `dbt compile`
-- of a model after a build gives the SQL that build ran. A model declares its watermark in its
-- config: `meta: {watermark: {column: _row_id}}`, or per value of a column (`per: table_name`).
{%- set state = read_build_state() %}

select
    {{ built_at() }} as built_at,
    '{{ tojson(state['last_completed_build']) | replace("'", "''") }}' as last_completed_build,
    '{{ tojson(state['watermarks'], sort_keys=true) | replace("'", "''") }}' as watermarks,
    {{ state['unfinished_runs'] }} as unfinished_runs
