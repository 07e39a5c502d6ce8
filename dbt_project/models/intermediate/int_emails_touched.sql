-- depends_on: {{ ref('build_state') }}
-- depends_on: {{ ref('int_email_events_deduplicated') }}
-- The emails this build recounts in the per-email models (int_click_bursts, int_emails_flagged,
-- int_opens_tracked, int_link_clicks_per_prospect, int_message_emails_counted; DuckDB): an
-- email's flags, bursts and tracked opens depend on its own events only, so a new send or a new
-- event (since the last completed build: models/state/build_state.sql) touches its email, not
-- its campaign. With it every email of the same campaign, message and prospect (the link
-- clicks and tracked opens are kept per prospect and message); not those of a campaign
-- int_campaigns_touched recounts whole (a message changed, the first build, ...), which the
-- models read by campaign. With each email the keys the models replace rows by
-- (macros/incremental.sql). Spark rewrites whole partitions of campaigns: there this is empty
-- and the models recount the touched campaigns.
{%- set previous = last_completed_build() %}

with

sends as (
    select email_id, campaign_id, message_id, prospect_id, sent_at, _row_id
    from {{ ref('int_email_sends_deduplicated') }}
),

whole_campaigns as (
    select campaign_id from {{ ref('int_campaigns_touched') }}
    where whole_campaign
),

new_emails as (
    {%- if previous is none or flags.FULL_REFRESH or target.type != 'duckdb' %}
    select email_id from sends where false
    {%- else %}
    select email_id from sends
    where _row_id > {{ previous['sends_through'] }}
    union
    select email_id from {{ ref('int_email_events_deduplicated') }}
    where _row_id > {{ previous['events_through'] }}
    {%- endif %}
),

touched_prospects as (
    select distinct campaign_id, message_id, prospect_id
    from sends
    where email_id in (select email_id from new_emails)
)

select
    email_id,
    campaign_id,
    message_id,
    prospect_id,
    cast(sent_at as date) as send_date
from sends
{%- if target.type != 'duckdb' %}
where false
{%- else %}
where (campaign_id, message_id, prospect_id) in (select campaign_id, message_id, prospect_id from touched_prospects)
    and campaign_id not in (select campaign_id from whole_campaigns)
{%- endif %}
