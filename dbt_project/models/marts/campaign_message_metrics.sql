-- SPEC §4 over the emails of one message; a row for every message, sent or not, with its
-- campaign's current language, owner and status (SPEC §8) for breakdowns.
-- The counts and rates are defined in macros/email_metrics.sql.
with

messages as (
    select message_id, campaign_id from {{ ref('int_campaign_messages_current') }}
),

campaigns as (
    select campaign_id, language, owner_user_id, status from {{ ref('int_campaigns_current') }}
),

counts as (
    select campaign_id, message_id, {{ sum_email_counts() }}
    from {{ ref('int_message_emails_counted') }}
    group by campaign_id, message_id
),

counted as (
    select
        messages.campaign_id,
        messages.message_id,
        {{ email_counts_or_zero('counts') }},
        campaigns.language,
        campaigns.owner_user_id,
        campaigns.status
    from messages
    left join counts
        on messages.message_id = counts.message_id
        and messages.campaign_id = counts.campaign_id
    left join campaigns
        on messages.campaign_id = campaigns.campaign_id
)

select
    *,
    {{ email_rates() }}
from counted
