-- depends_on: {{ ref('int_campaigns_touched') }}
-- The cells of marts.campaign_open_heatmap (over all messages of a campaign), kept per
-- campaign. Definitions: macros/open_heatmap.sql; which opens count: int_opens_tracked.
{{ open_heatmap(['campaign_id']) }}
