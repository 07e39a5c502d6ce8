select
    link_id,
    message_id,
    url,
    placement,
    anchor_text,
    updated_at
from {{ ref('base_recruiting__message_links') }}
where row_status = 'current'
