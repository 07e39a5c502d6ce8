{{ config(materialized='view') }}
-- Each de-duplicated event whose send is known, with the send's campaign, message, prospect
-- and sent_at. An event whose send has not arrived is an orphan: it waits in
-- int_email_events_deduplicated and joins on the first build after its send arrives.
-- A click without a link_id (an email service's webhook carries the url only) takes the link
-- of its email's message with the same url, the first by link_id when several share it (SPEC
-- §2); otherwise it stays an unknown link. Which messages, campaigns and links count is
-- otherwise resolved where events are counted; a new version of a link touches every campaign
-- of its message (int_campaigns_touched), whose clicks may now resolve differently.
-- A view: its readers filter by campaign or by arrival, and a stored copy of every event
-- cost as much to write as a join costs each reader, and the warehouse's largest table.
with

links_by_url as (
    select message_id, url, min(link_id) as link_id
    from {{ ref('int_message_links_current') }}
    where url is not null
    group by message_id, url
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
    coalesce(events.link_id, links_by_url.link_id) as link_id,
    events.url,
    events.user_agent,
    events.machine_open,
    events._row_id as _event_row_id
from {{ ref('int_email_events_deduplicated') }} as events
inner join {{ ref('int_email_sends_deduplicated') }} as sends
    on events.email_id = sends.email_id
left join links_by_url
    on events.link_id is null
    and events.event_type = 'clicked'
    and links_by_url.message_id = sends.message_id
    and links_by_url.url = events.url
