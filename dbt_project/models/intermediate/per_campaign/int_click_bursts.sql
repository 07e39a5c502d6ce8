-- depends_on: {{ ref('int_campaigns_touched') }}
-- depends_on: {{ ref('int_emails_touched') }}
-- depends_on: {{ ref('int_email_events_touched') }}
{{ config(touched_key=['email_id']) }}
-- SPEC §3b, the one rule for bots that needs more than the click itself: the clicks that are
-- part of a burst. An email's clicks, in time order, form groups, each click at most
-- bot_click_burst_gap_seconds after the previous one; a group with clicks on at least
-- bot_click_burst_min_links distinct links is a burst (a mail scanner follows every link at
-- once), and all its clicks are bots'. int_email_events_classified names them; kept per
-- email (macros/incremental.sql).
with

clicks_in_order as (
    select
        event_id,
        email_id,
        campaign_id,
        link_id,
        occurred_at,
        lag(occurred_at) over (partition by email_id order by occurred_at, event_id) as previous_click_at
    from {{ events_of_touched_emails(classified=false) }} as events
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
)

select
    click_groups.event_id,
    click_groups.email_id,
    click_groups.campaign_id,
    {{ built_at() }} as _built_at
    {{- campaign_partition_column('click_groups.campaign_id') }}
from click_groups
inner join bursts
    on click_groups.email_id = bursts.email_id
    and click_groups.click_group = bursts.click_group
{{ campaign_order() }}
