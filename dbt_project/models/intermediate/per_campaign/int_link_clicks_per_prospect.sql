-- depends_on: {{ ref('int_campaigns_touched') }}
-- depends_on: {{ ref('int_emails_touched') }}
-- depends_on: {{ ref('int_email_events_touched') }}
-- depends_on: {{ ref('int_click_bursts') }}
{{ config(touched_key=['campaign_id', 'message_id', 'prospect_id']) }}
-- The clicks of counted emails (int_emails_flagged), per campaign, message, link, the url the
-- event carried, and prospect, with those made by people (SPEC §3b): what the link-click marts
-- add up, with the current link's url, anchor text and placement (footer links are left out
-- there, by the link's current placement). Replaced per touched (campaign, message,
-- prospect) (macros/incremental.sql).
with

counted_emails as (
    select email_id from {{ ref('int_emails_flagged') }}
    where {{ in_touched_emails() }}
),

clicks as (
    select *
    from {{ events_of_touched_emails() }} as events
    where event_type = 'clicked'
)

select
    clicks.campaign_id,
    clicks.message_id,
    clicks.link_id,
    clicks.url as event_url,
    clicks.prospect_id,
    cast(count(*) as {{ dbt.type_bigint() }}) as clicks,
    cast(sum(case when clicks.is_bot_click then 0 else 1 end) as {{ dbt.type_bigint() }}) as clicks_by_people,
    {{ built_at() }} as _built_at
    {{- campaign_partition_column('clicks.campaign_id') }}
from clicks
inner join counted_emails
    on clicks.email_id = counted_emails.email_id
group by clicks.campaign_id, clicks.message_id, clicks.link_id, clicks.url, clicks.prospect_id
{{ campaign_order(['campaign_id', 'message_id']) }}
