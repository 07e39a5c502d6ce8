{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- Every raw row typed, with the reason it cannot be used (NULL when it can). Copies of the
-- same event are told apart in stg_recruiting__email_events (first received wins).
-- A table, appended with the raw rows loaded since its last build: each raw row is parsed
-- once, and staging, the quarantine and the reconciliation read typed rows from here.
with

source as (
    select * from {{ source('recruiting', 'email_events') }}
    {% if is_incremental() %}
    where _row_id > {{ watermark('_row_id') }}
    {% endif %}
),

typed as (
    select
        {{ nullif_blank('event_id') }} as event_id,
        {{ nullif_blank('email_id') }} as email_id,
        lower(trim(event_type)) as event_type,
        {{ parse_timestamp('occurred_at') }} as occurred_at,
        lower(trim(bounce_type)) as bounce_type,
        {{ nullif_blank('link_id') }} as link_id,
        {{ nullif_blank('url') }} as url,
        user_agent,
        {{ parse_timestamp('received_at') }} as received_at,
        {{ nullif_blank('occurred_at') }} as occurred_at_text,
        {{ nullif_blank('received_at') }} as received_at_text,
        {{ lineage_columns() }}
    from source
),

checked as (
    select
        *,
        case
            {{ reject_if_missing('event_id') }}
            {{ reject_if_missing('email_id') }}
            when event_type is null or event_type not in (
                'delivered', 'bounced', 'opened', 'clicked', 'replied', 'unsubscribed', 'spam_reported'
            ) then 'unknown event_type: ' || coalesce(substr(event_type, 1, 100), 'NULL')
            {{ reject_if_unparsed('occurred_at', 'occurred_at_text') }}
            {{ reject_if_missing('occurred_at') }}
            {{ reject_if_unparsed('received_at', 'received_at_text') }}
            when event_type = 'bounced' and (bounce_type is null or bounce_type not in ('hard', 'soft'))
                then 'bounced event without bounce_type hard or soft'
            when event_type = 'clicked' and link_id is null then 'clicked event without link_id'
        end as rejection_reason
    from typed
)

select * from checked
