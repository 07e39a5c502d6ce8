select
    event_id,
    email_id,
    event_type,
    occurred_at,
    bounce_type,
    link_id,
    url,
    user_agent,
    received_at,
    _loaded_at
from {{ ref('base_recruiting__email_events') }}
where row_status = 'current'
