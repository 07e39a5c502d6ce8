-- depends_on: {{ ref('int_campaigns_touched') }}
-- SPEC §3b: every open and click of an email that was sent, classed once as made by a person,
-- a machine (an open) or a bot (a click), with the rule that matched (macros/machines_and_bots.sql):
--   provider flag           the email service flagged the open (machine_open)
--   Apple proxy user agent  the open's user agent is exactly `Mozilla/5.0`
--   automation user agent   the click's user agent names automation (var bot_user_agent_patterns)
--   too soon after sending  the click came less than bot_click_within_seconds after sent_at
--   click burst             the click is part of a burst: the email's clicks, in time order,
--                           each at most bot_click_burst_gap_seconds after the previous one, on at
--                           least bot_click_burst_min_links distinct links (all of them are bots)
-- The email flags, link clicks and tracked opens read their opens and clicks from here; data
-- engineers see why (audit.machine_and_bot_engagements). Kept per campaign.
with

engagements as (
    select
        event_id, email_id, campaign_id, message_id, prospect_id, sent_at,
        event_type, occurred_at, link_id, url, user_agent, machine_open
    from {{ ref('int_email_events_joined_to_sends') }}
    where event_type in ('opened', 'clicked') and {{ in_touched_campaigns() }}
),

clicks_in_order as (
    select
        email_id,
        event_id,
        link_id,
        occurred_at,
        lag(occurred_at) over (partition by email_id order by occurred_at, event_id) as previous_click_at
    from engagements
    where event_type = 'clicked'
),

click_groups as (
    select
        *,
        sum({{ starts_click_group('previous_click_at', 'occurred_at') }}) over (
            partition by email_id order by occurred_at, event_id rows between unbounded preceding and current row
        ) as click_group
    from clicks_in_order
),

bursts as (
    select email_id, click_group
    from click_groups
    group by email_id, click_group
    having count(distinct link_id) >= {{ var('bot_click_burst_min_links') | int }}
),

clicks_in_bursts as (
    select click_groups.event_id
    from click_groups
    inner join bursts
        on click_groups.email_id = bursts.email_id
        and click_groups.click_group = bursts.click_group
),

rules as (
    select
        engagements.*,
        {{ is_provider_flagged_open('engagements') }} as by_provider_flag,
        {{ is_apple_proxy_open('engagements') }} as by_apple_proxy_user_agent,
        {{ is_automation_click('engagements') }} as by_automation_user_agent,
        {{ is_click_too_soon_after_sending('engagements') }} as too_soon_after_sending,
        clicks_in_bursts.event_id is not null as in_click_burst
    from engagements
    left join clicks_in_bursts
        on engagements.event_id = clicks_in_bursts.event_id
)

select
    event_id,
    email_id,
    campaign_id,
    message_id,
    prospect_id,
    event_type,
    occurred_at,
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
    end as machine_or_bot_reason,
    {{ built_at() }} as _built_at
from rules
