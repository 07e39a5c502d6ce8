{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- Every raw row typed, with the reason it cannot be used (NULL when it can). Copies of the
-- same send are told apart in stg_recruiting__email_sends (first received wins).
-- A table, appended with the raw rows loaded since its last build: each raw row is parsed
-- once, and staging, the quarantine and the reconciliation read typed rows from here.
with

source as (
    select * from {{ source('recruiting', 'email_sends') }}
    {% if is_incremental() %}
    where _row_id > {{ watermark('_row_id') }}
    {% endif %}
),

typed as (
    select
        {{ nullif_blank('email_id') }} as email_id,
        {{ nullif_blank('campaign_id') }} as campaign_id,
        {{ nullif_blank('message_id') }} as message_id,
        {{ nullif_blank('prospect_id') }} as prospect_id,
        {{ parse_timestamp('sent_at') }} as sent_at,
        {{ nullif_blank('sent_at') }} as sent_at_text,
        {{ lineage_columns() }}
    from source
),

checked as (
    select
        *,
        case
            {{ reject_if_missing('email_id') }}
            {{ reject_if_missing('campaign_id') }}
            {{ reject_if_missing('message_id') }}
            {{ reject_if_missing('prospect_id') }}
            {{ reject_if_unparsed('sent_at', 'sent_at_text') }}
            {{ reject_if_missing('sent_at') }}
        end as rejection_reason
    from typed
)

select * from checked
