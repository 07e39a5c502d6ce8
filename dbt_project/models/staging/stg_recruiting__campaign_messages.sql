select
    message_id,
    campaign_id,
    step_number,
    subject,
    body_html,
    wait_days,
    updated_at
from {{ ref('base_recruiting__campaign_messages') }}
where row_status = 'current'
