-- SPEC §4 over the emails of one message; a row for every message, sent or not.
-- The counts and rates are defined in macros/email_metrics.sql.
with

messages as (
    select message_id, campaign_id from {{ ref('int_campaign_messages_current') }}
),

counts as (
    select * from {{ ref('int_message_emails_counted') }}
),

counted as (
    select
        messages.campaign_id,
        messages.message_id,
        {{ email_counts_or_zero('counts') }}
    from messages
    left join counts
        on messages.message_id = counts.message_id
        and messages.campaign_id = counts.campaign_id
)

select
    *,
    {{ email_rates() }}
from counted
