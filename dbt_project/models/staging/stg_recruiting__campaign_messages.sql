-- Every raw campaign_messages row typed, with the reason it cannot be used (NULL when it
-- can). Which version of a message is current is decided in int_campaign_messages_current.
with

source as (
    select * from {{ source('recruiting', 'campaign_messages') }}
),

typed as (
    select
        {{ nullif_blank('message_id') }} as message_id,
        {{ nullif_blank('campaign_id') }} as campaign_id,
        {{ parse_integer('step_number') }} as step_number,
        subject,
        body_html,
        {{ parse_integer('wait_days') }} as wait_days,
        {{ typed_timestamp('updated_at') }} as updated_at,
        {{ nullif_blank('step_number') }} as step_number_text,
        {{ nullif_blank('wait_days') }} as wait_days_text,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
)

select
    *,
    case
        {{ reject_if_missing('message_id') }}
        {{ reject_if_missing('campaign_id') }}
        {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
        {{ reject_if_missing('updated_at') }}
        {{ reject_if_unparsed('step_number', 'step_number_text') }}
        {{ reject_if_unparsed('wait_days', 'wait_days_text') }}
    end as rejection_reason
from typed
