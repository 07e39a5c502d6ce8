select
    campaign_id,
    prospect_id,
    entered_at,
    exited_at,
    exit_reason,
    updated_at
from {{ ref('base_recruiting__audience_memberships') }}
where row_status = 'current'
