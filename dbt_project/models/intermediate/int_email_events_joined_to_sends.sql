{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- Each de-duplicated event whose send is known, with the send's campaign, message, prospect
-- and sent_at (facts only: which messages, campaigns and links are current is resolved where
-- events are counted). An event whose send has not arrived is an orphan: it waits in
-- int_email_events_deduplicated and joins on the first build after its send arrives.
-- Appended by arrival: the new events, plus the waiting events of the sends that arrived
-- since (a send arrives once, so no event joins twice).
with

{% if is_incremental() %}
{%- set events_seen_through = watermark('_event_row_id') %}
{%- set sends_seen_through = watermark('_send_row_id') %}
new_sends as (
    select email_id from {{ ref('int_email_sends_deduplicated') }}
    where _row_id > {{ sends_seen_through }}
),
{% endif %}

events as (
    select * from {{ ref('int_email_events_deduplicated') }}
    {% if is_incremental() %}
    where _row_id > {{ events_seen_through }}
    union all
    -- Two scans, not one `or`: an `or` with a subquery makes the engine read every column of
    -- every staged event; here the old events are searched by email_id alone.
    select * from {{ ref('int_email_events_deduplicated') }}
    where _row_id <= {{ events_seen_through }}
        and email_id in (select email_id from new_sends)
    {% endif %}
),

sends as (
    select email_id, campaign_id, message_id, prospect_id, sent_at, _row_id
    from {{ ref('int_email_sends_deduplicated') }}
)

select
    events.event_id,
    events.email_id,
    sends.campaign_id,
    sends.message_id,
    sends.prospect_id,
    sends.sent_at,
    events.event_type,
    events.occurred_at,
    events.bounce_type,
    events.link_id,
    events.url,
    events.user_agent,
    events.machine_open,
    events._row_id as _event_row_id,
    sends._row_id as _send_row_id,
    {{ built_at() }} as _built_at
from events
inner join sends
    on events.email_id = sends.email_id
