-- Opens by local day of week and hour, per viewer time zone, for one message.
-- Which opens count is decided in int_opens_tracked, the cells in int_message_heatmap_cells_counted.
-- A missing cell reads as 0. A view: the cells are kept, incrementally, in the intermediate.
{{ config(materialized='view') }}
select campaign_id, message_id, viewer_timezone, day_of_week, hour_of_day, opens, unique_prospects,
    opens_by_people, unique_prospects_by_people
from {{ ref('int_message_heatmap_cells_counted') }}
