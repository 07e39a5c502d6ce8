-- depends_on: {{ ref('int_campaigns_touched') }}
-- The cells of marts.campaign_message_open_heatmap (one message), kept per campaign.
-- Definitions: macros/open_heatmap.sql; which opens count: int_opens_tracked.
{{ open_heatmap(['campaign_id', 'message_id']) }}
