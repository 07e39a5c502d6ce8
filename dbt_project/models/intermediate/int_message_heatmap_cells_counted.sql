-- The cells of marts.campaign_message_open_heatmap (one message), kept per campaign with the
-- watermarks of its incremental builds. Definitions: macros/open_heatmap.sql, which opens
-- count: int_opens_tracked.
{{ open_heatmap(['campaign_id', 'message_id']) }}
