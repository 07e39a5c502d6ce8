{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- One row per email_id: the first valid copy received. Incremental like
-- stg_recruiting__email_events: only raw rows newer than the watermark are read.
{% set lookback = var('incremental_lookback_rows', 0) | int %}

with

new_rows as (
    select * from {{ ref('base_recruiting__email_sends') }}
    where rejection_reason is null
    {% if is_incremental() %}
        and _row_id > (select coalesce(max(_row_id), 0) - {{ lookback }} from {{ this }})
    {% endif %}
),

first_copies as (
    select email_id, min(_row_id) as first_row_id
    from new_rows
    group by email_id
)

select
    new_rows.email_id,
    new_rows.campaign_id,
    new_rows.message_id,
    new_rows.prospect_id,
    new_rows.sent_at,
    new_rows._row_id,
    new_rows._loaded_at
from new_rows
inner join first_copies
    on new_rows._row_id = first_copies.first_row_id
{% if is_incremental() %}
left join {{ this }} as already_staged
    on new_rows.email_id = already_staged.email_id
where already_staged.email_id is null
{% endif %}
