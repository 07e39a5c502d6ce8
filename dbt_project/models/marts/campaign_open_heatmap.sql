-- Opens by local day of week and hour, per viewer time zone, over all messages of a campaign.
-- Which opens count is decided in int_opens_tracked. A missing cell reads as 0.
{{ open_heatmap(['campaign_id']) }}
