select
    email_id,
    campaign_id,
    message_id,
    prospect_id,
    sent_at,
    _loaded_at
from {{ ref('base_recruiting__email_sends') }}
where row_status = 'current'
