-- SPEC §4 over all emails of a campaign ("all messages"); a row for every campaign, drafts
-- included, with the campaign's current language, owner and status (SPEC §8) for
-- breakdowns. Rates are ratios of the summed counts, never averages of message rates.
-- The counts and rates are defined in macros/email_metrics.sql.
with

campaigns as (
    select campaign_id, language, owner_user_id, status from {{ ref('int_campaigns_current') }}
),

counts as (
    select campaign_id, {{ sum_email_counts() }}
    from {{ ref('int_message_emails_counted') }}
    group by campaign_id
),

counted as (
    select
        campaigns.campaign_id,
        {{ email_counts_or_zero('counts') }},
        campaigns.language,
        campaigns.owner_user_id,
        campaigns.status
    from campaigns
    left join counts
        on campaigns.campaign_id = counts.campaign_id
)

select
    *,
    {{ email_rates() }}
from counted
