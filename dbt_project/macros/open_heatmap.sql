{#- The open heatmap at a grain (campaign, or campaign and message): counted opens by local
    ISO day of week and hour in each viewer zone (SPEC §5). Counted per prospect first, then
    per cell: the same numbers as count(distinct), but two plain aggregations, which spill to
    disk when the data outgrows DuckDB's memory_limit. Kept per campaign
    (macros/incremental.sql). -#}
{% macro open_heatmap(grain) -%}
with

opens_per_prospect as (
    select
        {%- for column in grain %}
        opens.{{ column }},
        {%- endfor %}
        local_times.viewer_timezone,
        local_times.day_of_week,
        local_times.hour_of_day,
        opens.prospect_id,
        count(*) as opens,
        sum(case when opens.is_person_open then 1 else 0 end) as opens_by_people
    from {{ ref('int_opens_tracked') }} as opens
    inner join {{ ref('int_quarter_hours_localized') }} as local_times
        on opens.opened_quarter_hour = local_times.opened_quarter_hour
    where {{ in_touched_campaigns('opens.campaign_id') }}
    group by
        {% for column in grain %}opens.{{ column }}, {% endfor -%}
        local_times.viewer_timezone, local_times.day_of_week, local_times.hour_of_day, opens.prospect_id
)

select
    {%- for column in grain %}
    {{ column }},
    {%- endfor %}
    viewer_timezone,
    day_of_week,
    hour_of_day,
    cast(sum(opens) as {{ dbt.type_bigint() }}) as opens,
    cast(count(prospect_id) as {{ dbt.type_bigint() }}) as unique_prospects,
    -- SPEC §3b: the same opens, made by people (machines' opens left out; may be 0)
    cast(sum(opens_by_people) as {{ dbt.type_bigint() }}) as opens_by_people,
    cast(sum(case when opens_by_people > 0 then 1 else 0 end) as {{ dbt.type_bigint() }}) as unique_prospects_by_people,
    {{ built_at() }} as _built_at
from opens_per_prospect
group by {% for column in grain %}{{ column }}, {% endfor %}viewer_timezone, day_of_week, hour_of_day
{%- endmacro %}
