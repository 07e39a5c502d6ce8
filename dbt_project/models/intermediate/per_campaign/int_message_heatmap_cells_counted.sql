-- depends_on: {{ ref('build_state') }}
-- depends_on: {{ ref('int_campaigns_touched') }}
-- depends_on: {{ ref('int_emails_touched') }}
-- depends_on: {{ ref('int_opens_replaced') }}
{{ config(
    replaced_key=['campaign_id', 'message_id', 'viewer_timezone', 'day_of_week', 'hour_of_day'],
    kept_where='opens > 0',
) }}
-- The cells of marts.campaign_message_open_heatmap (one message), kept per campaign: counted
-- opens by local ISO day of week and hour in each viewer zone (SPEC §5). The query, and how
-- an incremental build keeps the cells by difference: macros/heatmap_cells.sql. The campaign
-- grain is int_campaign_heatmap_cells_counted (a test checks that these opens add up to its).
{{ heatmap_cells(['campaign_id', 'message_id']) }}
