{{ config(
    materialized='incremental', incremental_strategy='append', on_schema_change='fail',
    meta={'watermark': {'column': '_row_id'}},
) }}
-- depends_on: {{ ref('build_state') }}
-- One row per email_id: the first valid copy received (the tool replicates some sends).
-- Appended by arrival: a send already here is a duplicate (macros/incremental.sql).
--
-- The shape of int_email_events_deduplicated, which says why it is this shape: the keys
-- received more than once, the first valid copy of those only, the new rows read as a
-- subquery each time.
{#- read once: the rows past it are read three times below #}
{%- set past_watermark = rows_past_watermark() %}
with

received_more_than_once as (
    select email_id
    from {{ ref('stg_recruiting__email_sends') }}
    where email_id is not null and {{ past_watermark }}
    group by email_id
    having count(*) > 1
),

first_valid_copies as (
    select email_id, min(_row_id) as first_row_id
    from (
        select * from {{ ref('stg_recruiting__email_sends') }}
        where rejection_reason is null and {{ past_watermark }}
    ) as new_rows
    where email_id in (select email_id from received_more_than_once)
    group by email_id
)

select
    new_rows.email_id,
    new_rows.campaign_id,
    new_rows.message_id,
    new_rows.prospect_id,
    new_rows.sent_at,
    new_rows._row_id,
    new_rows._loaded_at,
    {{ built_at() }} as _built_at
from (
    select * from {{ ref('stg_recruiting__email_sends') }}
    where rejection_reason is null and {{ past_watermark }}
) as new_rows
left join first_valid_copies as first_copy
    on new_rows.email_id = first_copy.email_id
{%- if is_incremental() %}
left join {{ this }} as already_here
    on new_rows.email_id = already_here.email_id
{%- endif %}
where (first_copy.email_id is null or new_rows._row_id = first_copy.first_row_id)
{%- if is_incremental() %}
    and already_here.email_id is null
{%- endif %}
