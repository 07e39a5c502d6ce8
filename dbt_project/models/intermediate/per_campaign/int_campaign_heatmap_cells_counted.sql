-- depends_on: {{ ref('int_campaigns_touched') }}
-- The cells of marts.campaign_open_heatmap (over all messages of a campaign), kept per
-- campaign: counted opens by local ISO day of week and hour in each viewer zone (SPEC §5).
-- Which opens count: int_opens_tracked. int_message_heatmap_cells_counted is the same query
-- one grain finer (a test checks that its opens add up to these).
--
-- Counted per prospect first, then per cell: the same numbers as count(distinct), but two
-- plain aggregations, which spill to disk when the data outgrows DuckDB's memory_limit.
with

local_cells as (
    -- Each (viewer zone, local day, local hour) as one small number: every open is counted
    -- once per viewer zone, and grouping those rows (tens of millions at 10M events) by one
    -- number instead of a zone's name, a day and an hour takes a quarter less time.
    select
        opened_quarter_hour,
        viewer_timezone,
        day_of_week,
        hour_of_day,
        dense_rank() over (order by viewer_timezone) * 168 + (day_of_week - 1) * 24 + hour_of_day as local_cell
    from {{ ref('int_quarter_hours_localized') }}
),

opens_per_prospect as (
    select
        opens.campaign_id,
        local_cells.local_cell,
        opens.prospect_id,
        count(*) as opens,
        sum(case when opens.is_person_open then 1 else 0 end) as opens_by_people
    from {{ ref('int_opens_tracked') }} as opens
    inner join local_cells
        on opens.opened_quarter_hour = local_cells.opened_quarter_hour
    where {{ in_touched_campaigns('opens.campaign_id') }}
    group by opens.campaign_id, local_cells.local_cell, opens.prospect_id
),

cells as (
    select
        campaign_id,
        local_cell,
        sum(opens) as opens,
        count(prospect_id) as unique_prospects,
        -- SPEC §3b: the same opens, made by people (machines' opens left out; may be 0)
        sum(opens_by_people) as opens_by_people,
        sum(case when opens_by_people > 0 then 1 else 0 end) as unique_prospects_by_people
    from opens_per_prospect
    group by campaign_id, local_cell
),

cell_names as (
    select distinct local_cell, viewer_timezone, day_of_week, hour_of_day from local_cells
)

select
    cells.campaign_id,
    cell_names.viewer_timezone,
    cell_names.day_of_week,
    cell_names.hour_of_day,
    cast(cells.opens as {{ dbt.type_bigint() }}) as opens,
    cast(cells.unique_prospects as {{ dbt.type_bigint() }}) as unique_prospects,
    cast(cells.opens_by_people as {{ dbt.type_bigint() }}) as opens_by_people,
    cast(cells.unique_prospects_by_people as {{ dbt.type_bigint() }}) as unique_prospects_by_people,
    {{ built_at() }} as _built_at
    {{- campaign_partition_column('cells.campaign_id') }}
from cells
inner join cell_names
    on cells.local_cell = cell_names.local_cell
{{ campaign_order(['campaign_id']) }}
