{{ config(materialized='view') }}
-- Each de-duplicated event whose send is known, with the send's campaign, message, prospect
-- and sent_at (facts only: which messages, campaigns and links are current is resolved where
-- events are counted). An event whose send has not arrived is an orphan: it waits in
-- int_email_events_deduplicated and joins on the first build after its send arrives.
-- A view: its readers filter by campaign or by arrival, and a stored copy of every event
-- cost as much to write as a join costs each reader, and the warehouse's largest table.
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
    events._row_id as _event_row_id
from {{ ref('int_email_events_deduplicated') }} as events
inner join {{ ref('int_email_sends_deduplicated') }} as sends
    on events.email_id = sends.email_id
