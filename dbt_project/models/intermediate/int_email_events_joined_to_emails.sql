{% set dimensions = ['campaigns', 'campaign_messages', 'message_links'] %}
{#- Appended: new staged events and waiting orphans were never joined before, so no row is
    ever replaced (a delete by key would probe every stored event); a dimension change
    rebuilds it (empty_if_rebuilding). -#}
{{ config(
    materialized=updated_in_place(), incremental_strategy='append',
    pre_hook="{{ empty_if_rebuilding(" ~ dimensions ~ ") }}",
) }}
-- Each de-duplicated event of a known email, with its campaign, message, prospect and, for
-- clicks, the link. An event whose email is not (yet) known is an orphan: it waits here
-- unjoined and joins on the first build after its send arrives. Incremental: new events,
-- plus the waiting events of emails that became known since the last build.
{% set rebuild = needs_full_rebuild(dimensions, is_incremental()) %}

with

emails as (
    select * from {{ ref('int_emails_joined_to_messages') }}
),

events as (
    {% if rebuild %}
    select * from {{ ref('stg_recruiting__email_events') }}
    {% else %}
    {%- set events_seen_through = watermark('_event_row_id') %}
    select * from {{ ref('stg_recruiting__email_events') }}
    where _row_id > {{ events_seen_through }}
    union all
    -- Two scans, not one `or`: an `or` with a subquery makes the engine read every column of
    -- every staged event; here the old events are searched by email_id alone.
    select * from {{ ref('stg_recruiting__email_events') }}
    where _row_id <= {{ events_seen_through }}
        and email_id in (select email_id from emails where _send_row_id > {{ watermark('_send_row_id') }})
    {% endif %}
),

links as (
    select link_id, url, placement, anchor_text from {{ ref('stg_recruiting__message_links') }}
)

select
    events.event_id,
    events.email_id,
    emails.campaign_id,
    emails.message_id,
    emails.prospect_id,
    events.event_type,
    events.occurred_at,
    events.received_at,
    events.bounce_type,
    events.link_id,
    -- A link unknown to message_links is listed with the url the event carries (and, should
    -- the event carry none, under a placeholder naming the link, so it is never dropped).
    coalesce(links.url, events.url, 'unknown link ' || events.link_id) as link_url,
    links.anchor_text as link_anchor_text,
    links.placement as link_placement,
    -- SPEC §3: a click counts unless its link is in the footer (unsubscribe, privacy policy,
    -- ...); a click on a link unknown to message_links counts, as a body link.
    (events.event_type = 'clicked' and coalesce(links.placement, 'body') <> 'footer') as is_counted_click,
    events._row_id as _event_row_id,
    emails._send_row_id,
    {{ built_at() }} as _built_at,
    {{ dimension_fingerprint_columns(dimensions) }}
from events
inner join emails
    on events.email_id = emails.email_id
left join links
    on events.link_id = links.link_id
