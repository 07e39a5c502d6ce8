-- The message picker and the preview modal: the current version of each message.
select
    message_id,
    campaign_id,
    step_number,
    subject,
    body_html,
    wait_days
from {{ ref('int_campaign_messages_current') }}
