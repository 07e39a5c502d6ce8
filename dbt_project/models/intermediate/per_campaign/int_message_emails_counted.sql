-- depends_on: {{ ref('int_campaigns_touched') }}
-- SPEC §4's counts (macros/email_metrics.sql) of each message's emails, from the email
-- flags. The metric marts read these few rows instead of every email: a message's counts,
-- and a campaign's as the sum of its messages'. Kept per campaign (macros/incremental.sql).
select
    campaign_id,
    message_id,
    {{ count_emails() }},
    {{ built_at() }} as _built_at
from {{ ref('int_emails_flagged') }}
where {{ in_touched_campaigns() }}
group by campaign_id, message_id
{{ campaign_order(['campaign_id', 'message_id']) }}
