select
    campaign_id,
    campaign_name,
    owner_user_id,
    status,
    language,
    started_at,
    ended_at,
    created_at,
    updated_at,
    -- the raw row of this version: a newer one touches the campaign's heatmap (macros/incremental.sql)
    _row_id
from {{ ref('base_recruiting__campaigns') }}
where row_status = 'current'
