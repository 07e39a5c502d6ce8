-- Every raw email_sends row typed, with the reason it cannot be used (NULL when it can).
-- Copies of a replicated send are told apart in int_email_sends_deduplicated. A view, as
-- stg_recruiting__email_events (why: there).
with

source as (
    select * from {{ source('recruiting', 'email_sends') }}
),

typed as (
    select
        {{ nullif_blank('email_id') }} as email_id,
        {{ nullif_blank('campaign_id') }} as campaign_id,
        {{ nullif_blank('message_id') }} as message_id,
        {{ nullif_blank('prospect_id') }} as prospect_id,
        {{ typed_timestamp('sent_at') }} as sent_at,
        {{ nullif_blank('sent_at') }} as sent_at_text,
        {{ lineage_columns() }}
    from source
)

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
