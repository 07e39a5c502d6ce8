-- The message picker and the preview modal.
select
    message_id,
    campaign_id,
    step_number,
    subject,
    body_html,
    wait_days
from {{ ref('stg_recruiting__campaign_messages') }}
