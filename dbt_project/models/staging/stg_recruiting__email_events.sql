{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- One row per event_id: the first valid copy received. Incremental: each run reads only the
-- raw rows that arrived since the last one (_row_id above the watermark, minus an optional
-- lookback), and an event already here is a duplicate. The result equals a full refresh.
{% set lookback = var('incremental_lookback_rows', 0) | int %}

with

new_rows as (
    select * from {{ ref('base_recruiting__email_events') }}
    where rejection_reason is null
    {% if is_incremental() %}
        and _row_id > (select coalesce(max(_row_id), 0) - {{ lookback }} from {{ this }})
    {% endif %}
),

first_copies as (
    select event_id, min(_row_id) as first_row_id
    from new_rows
    group by event_id
)

select
    new_rows.event_id,
    new_rows.email_id,
    new_rows.event_type,
    new_rows.occurred_at,
    new_rows.bounce_type,
    new_rows.link_id,
    new_rows.url,
    new_rows.user_agent,
    new_rows.received_at,
    new_rows._row_id,
    new_rows._loaded_at
from new_rows
inner join first_copies
    on new_rows._row_id = first_copies.first_row_id
{% if is_incremental() %}
left join {{ this }} as already_staged
    on new_rows.event_id = already_staged.event_id
where already_staged.event_id is null
{% endif %}
