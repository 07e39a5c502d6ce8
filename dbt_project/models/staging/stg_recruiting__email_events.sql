-- Every raw email_events row typed, with the reason it cannot be used (NULL when it can).
-- Copies of an event delivered more than once are told apart in
-- int_email_events_deduplicated. A view, not a copy of every event: typing a landed file
-- is cheap (a Parquet file's timestamps come typed, only text is parsed; dbt_project.yml
-- says what the copy cost), and each reader (int_email_events_deduplicated, the audit
-- models) reads the rows past its own watermark, which skips the landed files below it
-- unopened (campaign_dw/loader.py).
-- Valid without them (SPEC §2): a bounce without bounce_type (it counts as soft) and a click
-- without link_id (an unknown link: it still proves the click, the open and the delivery).
-- machine_open (the email service's flag, optional): true, false or empty; anything else is a
-- bad value.
-- Rows the loader made from an email service's own format (SPEC §2c, campaign_dw/providers.py)
-- name the service (provider) and its event (provider_event). An event of the service with no
-- meaning here (SendGrid processed, SES Send, ...) has no event_type: it is not counted, with
-- its own reason; an event without the email_id in its metadata is rejected saying so.
with

source as (
    select * from {{ source('recruiting', 'email_events') }}
),

typed as (
    select
        {{ nullif_blank('event_id') }} as event_id,
        {{ nullif_blank('email_id') }} as email_id,
        lower(trim(event_type)) as event_type,
        {{ typed_timestamp('occurred_at') }} as occurred_at,
        lower({{ nullif_blank('bounce_type') }}) as bounce_type,
        {{ nullif_blank('link_id') }} as link_id,
        {{ nullif_blank('url') }} as url,
        user_agent,
        {{ typed_timestamp('received_at') }} as received_at,
        {{ typed_boolean('machine_open') }} as machine_open,
        {{ nullif_blank('occurred_at') }} as occurred_at_text,
        {{ nullif_blank('received_at') }} as received_at_text,
        {{ nullif_blank('machine_open') }} as machine_open_text,
        {{ nullif_blank('provider') }} as provider,
        {{ nullif_blank('provider_event') }} as provider_event,
        {{ lineage_columns() }}
    from source
)

select
    *,
    case
        when provider is not null and coalesce(event_type, '') = ''
            then 'not counted: ' || provider || ' ' || coalesce(substr(provider_event, 1, 100), 'NULL')
        {{ reject_if_missing('event_id') }}
        when email_id is null and provider is not null
            then 'missing email_id: none in the ' || provider || ' event''s metadata'
        {{ reject_if_missing('email_id') }}
        when event_type is null or event_type not in (
            'delivered', 'bounced', 'opened', 'clicked', 'replied', 'unsubscribed', 'spam_reported'
        ) then 'unknown event_type: ' || coalesce(substr(event_type, 1, 100), 'NULL')
        {{ reject_if_unparsed('occurred_at', 'occurred_at_text') }}
        {{ reject_if_missing('occurred_at') }}
        {{ reject_if_unparsed('received_at', 'received_at_text') }}
        when event_type = 'bounced' and bounce_type not in ('hard', 'soft')
            then 'unknown bounce_type: ' || substr(bounce_type, 1, 100)
        {{ reject_if_unparsed('machine_open', 'machine_open_text') }}
    end as rejection_reason
from typed
