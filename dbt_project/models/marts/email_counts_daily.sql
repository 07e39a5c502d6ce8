-- SPEC §8: the additive fact for BI tools. The §4 and §3b counts of the emails of one
-- message sent on one UTC day, with the campaign's current language, owner and status and
-- the message's step: any set of its rows sums to that set's counts, and a rate over them is
-- the ratio of the sums (the semantic layer's ratio metrics; never an average of rates, and
-- so no rate is stored here). An email's events count on its send date, whenever they
-- happened. The counts are defined in macros/email_metrics.sql.
with

counts as (
    select * from {{ ref('int_message_emails_counted') }}
),

campaigns as (
    select campaign_id, language, owner_user_id, status from {{ ref('int_campaigns_current') }}
),

messages as (
    select message_id, campaign_id, step_number from {{ ref('int_campaign_messages_current') }}
)

select
    counts.campaign_id,
    counts.message_id,
    counts.send_date,
    campaigns.language,
    campaigns.owner_user_id,
    campaigns.status,
    messages.step_number,
    {%- for column in email_counts() %}
    counts.{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
from counts
inner join campaigns
    on counts.campaign_id = campaigns.campaign_id
inner join messages
    on counts.message_id = messages.message_id
    and counts.campaign_id = messages.campaign_id
