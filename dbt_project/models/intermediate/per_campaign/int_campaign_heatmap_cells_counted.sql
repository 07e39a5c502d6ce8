-- depends_on: {{ ref('build_state') }}
-- depends_on: {{ ref('int_campaigns_touched') }}
-- depends_on: {{ ref('int_emails_touched') }}
-- depends_on: {{ ref('int_opens_replaced') }}
{{ config(
    replaced_key=['campaign_id', 'viewer_timezone', 'day_of_week', 'hour_of_day'],
    kept_where='opens > 0',
) }}
-- The cells of marts.campaign_open_heatmap (over all messages of a campaign), kept per
-- campaign: counted opens by local ISO day of week and hour in each viewer zone (SPEC §5).
-- The query, and how an incremental build keeps the cells by difference:
-- macros/heatmap_cells.sql. int_message_heatmap_cells_counted is the same query one grain
-- finer (a test checks that its opens add up to these).
{{ heatmap_cells(['campaign_id']) }}
