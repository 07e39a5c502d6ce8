-- depends_on: {{ ref('int_campaigns_touched') }}
-- depends_on: {{ ref('int_emails_touched') }}
{{ config(touched_key=['campaign_id', 'message_id', 'send_date']) }}
-- SPEC §4's counts (macros/email_metrics.sql) of each message's emails per UTC send date, from
-- the email flags. Every count is a sum over emails, so these few rows add up to any grain:
-- a message's counts (campaign_message_metrics), a campaign's (campaign_metrics), a day's
-- or a month's (marts.email_counts_daily, marts.metrics_rollup). Replaced per touched
-- (campaign, message, send date) (macros/incremental.sql).
select
    campaign_id,
    message_id,
    send_date,
    {{ count_emails() }},
    {{ built_at() }} as _built_at
    {{- campaign_partition_column() }}
from {{ ref('int_emails_flagged') }}
where {{ in_touched_emails(['campaign_id', 'message_id', 'send_date']) }}
group by campaign_id, message_id, send_date
{{ campaign_order(['campaign_id', 'message_id', 'send_date']) }}
