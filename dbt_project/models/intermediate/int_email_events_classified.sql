{{ config(materialized='view') }}
-- SPEC §3b: every event of a sent email, its opens and clicks classed as made by a person, a
-- machine (an open) or a bot (a click), with the rule that matched (macros/machines_and_bots.sql):
--   provider flag           the email service flagged the open (machine_open)
--   Apple proxy user agent  the open's user agent is exactly `Mozilla/5.0`
--   automation user agent   the click's user agent names automation (var bot_user_agent_patterns)
--   too soon after sending  the click came less than bot_click_within_seconds after sent_at
--   click burst             the click is part of a burst (int_click_bursts)
-- The email flags, link clicks and tracked opens read their events from here; data engineers
-- see why (audit.machine_and_bot_engagements). A view: every rule but the burst looks at the
-- event alone, and writing every open and click with its class cost more than its readers
-- spend classing what they read.
with

events as (
    select * from {{ ref('int_email_events_joined_to_sends') }}
),

bursts as (
    select event_id from {{ ref('int_click_bursts') }}
),

rules as (
    select
        events.*,
        {{ is_provider_flagged_open('events') }} as by_provider_flag,
        {{ is_apple_proxy_open('events') }} as by_apple_proxy_user_agent,
        {{ is_automation_click('events') }} as by_automation_user_agent,
        {{ is_click_too_soon_after_sending('events') }} as too_soon_after_sending,
        bursts.event_id is not null as in_click_burst
    from events
    left join bursts
        on events.event_id = bursts.event_id
)

select
    event_id,
    email_id,
    campaign_id,
    message_id,
    prospect_id,
    event_type,
    occurred_at,
    bounce_type,
    link_id,
    url,
    by_provider_flag or by_apple_proxy_user_agent as is_machine_open,
    by_automation_user_agent or too_soon_after_sending or in_click_burst as is_bot_click,
    case
        when by_provider_flag then 'provider flag'
        when by_apple_proxy_user_agent then 'Apple proxy user agent'
        when by_automation_user_agent then 'automation user agent'
        when too_soon_after_sending then 'too soon after sending'
        when in_click_burst then 'click burst'
    end as machine_or_bot_reason
from rules
