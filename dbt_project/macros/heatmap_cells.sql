{#-
  The heatmap cells (SPEC §5), kept per campaign: int_campaign_heatmap_cells_counted (grain
  [campaign_id]) and int_message_heatmap_cells_counted ([campaign_id, message_id]) are this
  query at their grain. A cell is (grain, viewer zone, local ISO day of week, local hour):
  its opens, its unique prospects, and the same two for people (SPEC §3b). Which opens count:
  int_opens_tracked.

  Counted per prospect first, then per cell: the same numbers as count(distinct), but two
  plain aggregations, which spill to disk when the data outgrows DuckDB's memory_limit.

  Three ways to a build's rows:
  * a full build counts every campaign;
  * an incremental build recounts whole the campaigns whose opens changed whole (those
    int_campaigns_touched marks whole_campaign), and keeps the other campaigns' cells by
    difference: for each (grain, prospect) with a touched email (int_emails_touched), its
    opens per cell before this build (int_opens_replaced, and its other messages' opens, which
    this build does not replace) and after; a cell's opens change by the difference, its
    unique prospects by the prospects that now have an open in it less those that had one.
    Cells with a touched prospect are rewritten (`replaced_key`), a cell left with no opens
    is removed (`kept_where`); the cells of untouched prospects are not read;
  * the opens' quarter-hours are localized with those this build replaced
    (int_quarter_hours_localized), so an open that no longer counts leaves its cell;
  * the cells are only as right as what they were kept from: when a run since the last
    completed build did not complete (a killed build may have replaced the opens and not
    the cells), or this run does not build the opens and int_opens_replaced, or the opens
    table was created by this run, every touched campaign is recounted whole instead
    (heatmap_cells_by_difference).
-#}
{% macro heatmap_cells(grain) -%}
{%- set by_difference = heatmap_cells_by_difference() -%}
{%- set with_prospect = grain + ['prospect_id'] -%}
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

cell_names as (
    select distinct local_cell, viewer_timezone, day_of_week, hour_of_day from local_cells
),

opens_per_prospect as (
    select
        {% for column in grain %}opens.{{ column }}, {% endfor %}
        local_cells.local_cell,
        opens.prospect_id,
        count(*) as opens,
        sum(case when opens.is_person_open then 1 else 0 end) as opens_by_people
    from {{ ref('int_opens_tracked') }} as opens
    inner join local_cells
        on opens.opened_quarter_hour = local_cells.opened_quarter_hour
    where {{ in_touched_campaigns('opens.campaign_id', whole_only=by_difference) }}
    group by {% for column in grain %}opens.{{ column }}, {% endfor %}local_cells.local_cell, opens.prospect_id
),

recounted as (
    select
        {{ grain | join(', ') }},
        local_cell,
        sum(opens) as opens,
        count(prospect_id) as unique_prospects,
        -- SPEC §3b: the same opens, made by people (machines' opens left out; may be 0)
        sum(opens_by_people) as opens_by_people,
        sum(case when opens_by_people > 0 then 1 else 0 end) as unique_prospects_by_people
    from opens_per_prospect
    group by {{ grain | join(', ') }}, local_cell
),

cells as (
    select
        {% for column in grain %}recounted.{{ column }}, {% endfor %}
        cell_names.viewer_timezone,
        cell_names.day_of_week,
        cell_names.hour_of_day,
        recounted.opens,
        recounted.unique_prospects,
        recounted.opens_by_people,
        recounted.unique_prospects_by_people
    from recounted
    inner join cell_names
        on recounted.local_cell = cell_names.local_cell
)

{%- if by_difference %},

touched_emails as (
    select distinct campaign_id, message_id, prospect_id from {{ ref('int_emails_touched') }}
),

touched_prospects as (
    select distinct {{ with_prospect | join(', ') }} from touched_emails
),

opens_now as (
    -- every open of a touched prospect (at this grain), as this build left them
    select campaign_id, message_id, prospect_id, opened_quarter_hour, is_person_open
    from {{ ref('int_opens_tracked') }}
    where ({{ with_prospect | join(', ') }}) in (select {{ with_prospect | join(', ') }} from touched_prospects)
),

opens_before as (
    -- the same prospects' opens as the last completed build left them: of their touched
    -- emails, int_opens_replaced; of their other messages (campaign grain), as they are now
    select {{ with_prospect | join(', ') }}, opened_quarter_hour, is_person_open
    from {{ ref('int_opens_replaced') }}
    {%- if 'message_id' not in grain %}
    union all
    select {{ with_prospect | join(', ') }}, opened_quarter_hour, is_person_open
    from opens_now
    where not exists (
        select 1 from touched_emails
        where touched_emails.campaign_id = opens_now.campaign_id
            and touched_emails.message_id = opens_now.message_id
            and touched_emails.prospect_id = opens_now.prospect_id
    )
    {%- endif %}
),

prospect_changes as (
    select
        {% for column in with_prospect %}both_states.{{ column }}, {% endfor %}
        local_cells.local_cell,
        sum(both_states.opens_now) as opens_now,
        sum(both_states.opens_before) as opens_before,
        sum(both_states.people_now) as people_now,
        sum(both_states.people_before) as people_before
    from (
        select
            {{ with_prospect | join(', ') }}, opened_quarter_hour,
            1 as opens_now, 0 as opens_before,
            case when is_person_open then 1 else 0 end as people_now, 0 as people_before
        from opens_now
        union all
        select
            {{ with_prospect | join(', ') }}, opened_quarter_hour,
            0 as opens_now, 1 as opens_before,
            0 as people_now, case when is_person_open then 1 else 0 end as people_before
        from opens_before
    ) as both_states
    inner join local_cells
        on both_states.opened_quarter_hour = local_cells.opened_quarter_hour
    group by {% for column in with_prospect %}both_states.{{ column }}, {% endfor %}local_cells.local_cell
),

cell_changes as (
    select
        {% for column in grain %}prospect_changes.{{ column }}, {% endfor %}
        cell_names.viewer_timezone,
        cell_names.day_of_week,
        cell_names.hour_of_day,
        sum(prospect_changes.opens_now - prospect_changes.opens_before) as opens,
        sum(
            case when prospect_changes.opens_now > 0 then 1 else 0 end
            - case when prospect_changes.opens_before > 0 then 1 else 0 end
        ) as unique_prospects,
        sum(prospect_changes.people_now - prospect_changes.people_before) as opens_by_people,
        sum(
            case when prospect_changes.people_now > 0 then 1 else 0 end
            - case when prospect_changes.people_before > 0 then 1 else 0 end
        ) as unique_prospects_by_people
    from prospect_changes
    inner join cell_names
        on prospect_changes.local_cell = cell_names.local_cell
    group by {% for column in grain %}prospect_changes.{{ column }}, {% endfor %}
        cell_names.viewer_timezone, cell_names.day_of_week, cell_names.hour_of_day
),

kept_by_difference as (
    -- a touched prospect's cells, as they were plus the change (opens 0: the cell goes)
    select
        {% for column in grain %}cell_changes.{{ column }}, {% endfor %}
        cell_changes.viewer_timezone,
        cell_changes.day_of_week,
        cell_changes.hour_of_day,
        coalesce(kept.opens, 0) + cell_changes.opens as opens,
        coalesce(kept.unique_prospects, 0) + cell_changes.unique_prospects as unique_prospects,
        coalesce(kept.opens_by_people, 0) + cell_changes.opens_by_people as opens_by_people,
        coalesce(kept.unique_prospects_by_people, 0) + cell_changes.unique_prospects_by_people as unique_prospects_by_people
    from cell_changes
    left join {{ this }} as kept
        on {% for column in grain + ['viewer_timezone', 'day_of_week', 'hour_of_day'] %}kept.{{ column }} = cell_changes.{{ column }}{{ "\n        and " if not loop.last }}{% endfor %}
),

cells_of_build as (
    select * from cells
    union all
    select * from kept_by_difference
)

{%- else %},

cells_of_build as (
    select * from cells
)

{%- endif %}

select
    {{ grain | join(', ') }},
    viewer_timezone,
    day_of_week,
    hour_of_day,
    cast(opens as {{ dbt.type_bigint() }}) as opens,
    cast(unique_prospects as {{ dbt.type_bigint() }}) as unique_prospects,
    cast(opens_by_people as {{ dbt.type_bigint() }}) as opens_by_people,
    cast(unique_prospects_by_people as {{ dbt.type_bigint() }}) as unique_prospects_by_people,
    {{ built_at() }} as _built_at
    {{- campaign_partition_column('campaign_id') }}
from cells_of_build
{{ campaign_order(grain) }}
{%- endmacro %}


{#- Whether this build keeps the heatmap cells by difference (heatmap_cells above): on an
    incremental DuckDB build from a completed build with no unfinished run since, which builds
    int_opens_replaced and int_opens_tracked, whose opens table holds rows of earlier builds.
    Read by the cells models and by their incremental strategy (which campaigns it deletes
    whole). A unit test gives it as an override. -#}
{% macro heatmap_cells_by_difference() -%}
    {%- if not execute or target.type != 'duckdb' or flags.FULL_REFRESH or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set state = build_state() -%}
    {%- if state['last_completed_build'] is none or state.get('unfinished_runs', 1) != 0 -%}
        {{ return(false) }}
    {%- endif -%}
    {#- (`dbt compile` after a build gives the SQL that build ran, whatever it selects) -#}
    {%- for name in ['int_opens_replaced', 'int_opens_tracked'] if flags.WHICH in ('run', 'build') -%}
        {%- if 'model.campaign_dw.' ~ name not in selected_resources -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(run_query(
        "select count(*) from " ~ ref('int_opens_tracked') ~ " where _built_at < " ~ built_at()
    ).columns[0].values()[0] > 0) }}
{%- endmacro %}
