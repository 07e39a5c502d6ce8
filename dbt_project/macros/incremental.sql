{#-
  How a build reads only what changed. Two patterns, nothing else (docs/incremental.md):

  1. Append by arrival. The loader numbers each raw table's rows in arrival order (`_row_id`).
     Typed staging of the large dimensions, the de-duplicated facts (which read the typed
     facts, views over the landed files) and the quarantine append what arrived after the
     newest row they hold (their watermark, read once, as a literal). They never update a
     row: an event already staged is a duplicate. (Events meet their sends in a view,
     int_email_events_joined_to_sends: an orphan joins when its send is staged.)

  2. Replace touched campaigns. Everything counted per campaign from the facts (email flags,
     message counts, link clicks, tracked opens, heatmap cells, audience counts) lives in
     models/intermediate/per_campaign. Each build, int_campaigns_touched lists the campaigns
     whose inputs changed since the last completed build; every per-campaign model deletes
     exactly those campaigns and inserts their recount, in one transaction (the
     `replace_touched_campaigns` strategy below). The marts are rebuilt from these counts and
     the current dimensions.

  How far the last completed build had read is the state table intermediate.completed_builds
  (a copy of that build's int_inputs_seen). It is written at the very end of a dbt run, and
  only when every per-campaign model succeeded in that run: a failed or killed build leaves
  its campaigns touched for the next one. Any older row would be safe too (it only touches
  more campaigns).
-#}

{#- The state this build started from (models/state/build_state.sql), read when a model
    compiles: {'last_completed_build': {...} or none, 'watermarks': {model: newest row}}.
    A unit test gives it as an override of this macro. -#}
{% macro build_state() -%}
    {%- if not execute -%}
        {{ return({'last_completed_build': none, 'watermarks': {}}) }}
    {%- endif -%}
    {%- set row = run_query("select last_completed_build, watermarks from " ~ ref('build_state')).rows[0] -%}
    {{ return({'last_completed_build': fromjson(row[0]), 'watermarks': fromjson(row[1])}) }}
{%- endmacro %}

{#- The row of the last completed build, or none (first build, or never completed). -#}
{% macro last_completed_build() -%}
    {{ return(build_state()['last_completed_build']) }}
{%- endmacro %}

{#- This model's watermark (declared in its config as `meta: {watermark: ...}`): the newest
    row it held when the build began, as a literal (a constant filter lets the engine skip old
    files and row groups); with `per`, the value for one key (0 when it has none yet). -#}
{% macro watermark(key=none) -%}
    {%- set value = build_state()['watermarks'].get(model.name, {} if key is not none else 0) -%}
    {{ return((value.get(key, 0) if key is not none else value) | int) }}
{%- endmacro %}

{#- Pattern 1 for typed staging: the raw rows loaded since the last build. -#}
{% macro raw_rows_since_last_build(table) -%}
    select * from {{ source('recruiting', table) }}
    {% if is_incremental() %}
    where _row_id > {{ watermark() }}
    {% endif %}
{%- endmacro %}

{#- Pattern 1 for facts delivered at least once (int_email_events_deduplicated and
    int_email_sends_deduplicated, which say why their query has its shape): which typed rows
    a build reads, those past the watermark less `incremental_lookback_rows`, or all of them
    on a full build. A constant: staging is a view over the landed files, and a constant bound
    skips the files and row groups below it. -#}
{% macro rows_past_watermark() -%}
{%- if is_incremental() -%}
    _row_id > {{ watermark() - var('incremental_lookback_rows', 0) | int }}
{%- else -%}
    true
{%- endif -%}
{%- endmacro %}

{#- When a row was written: the start of the dbt run that wrote it, the same for every row of
    a build. Lets a test check just the rows the latest build added
    (tests/generic/unique_in_latest_build.sql). -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#- ---- Pattern 2: replace touched campaigns ------------------------------------------------ -#}

{#- The campaigns int_campaigns_touched lists, read when a model compiles (after that model was
    built). A unit test gives them as an override of this macro. -#}
{% macro touched_campaigns() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(run_query(
        "select campaign_id from " ~ ref('int_campaigns_touched') ~ " order by campaign_id"
    ).columns[0].values() | list) }}
{%- endmacro %}

{#- The filter of a per-campaign model's inputs: the touched campaigns on an incremental build,
    everything on a full one. Written as literals: a constant filter reaches the scan of the
    sends beneath the events' views, where an IN subquery is applied only after their joins.
    Beyond max_literal_campaigns (a build that recomputes most campaigns of a large warehouse)
    the subquery: the filter then keeps most rows anyway, and the SQL stays small. -#}
{% macro in_touched_campaigns(column='campaign_id') -%}
    {%- set max_literal_campaigns = 2000 -%}
    {%- if not is_incremental() -%}
        true
    {%- else -%}
        {%- set touched = touched_campaigns() -%}
        {%- if touched | length == 0 -%}
            false
        {%- elif touched | length > max_literal_campaigns -%}
            {{ column }} in (select campaign_id from {{ ref('int_campaigns_touched') }})
        {%- else -%}
            {{ column }} in ({% for campaign_id in touched %}'{{ campaign_id | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The row order of a per-campaign table (DuckDB; ends the model's query): a campaign's rows
    side by side, so its ids and times compress to little (benchmarks/README.md) and a rebuilt
    campaign's rows are written together. Spark's tables
    are written whole each build: a global sort there costs a shuffle for no gain. -#}
{% macro campaign_order(columns=['campaign_id']) -%}
    {%- if target.type == 'duckdb' -%}
    order by {{ columns | join(', ') }}
    {%- endif -%}
{%- endmacro %}

{#- The incremental strategy of the per-campaign models (dbt finds it by its name): remove the
    touched campaigns, then insert their recount, in the model's transaction. A campaign whose
    recount has no rows keeps none. -#}
{% macro get_incremental_replace_touched_campaigns_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where campaign_id in (select campaign_id from {{ ref('int_campaigns_touched') }});
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#- ---- The state of completed builds --------------------------------------------------------- -#}

{#- Columns of int_inputs_seen and intermediate.completed_builds (same order). -#}
{% macro completed_build_columns() -%}
    {{ return([
        ('built_at', dbt.type_timestamp()),
        ('sends_through', dbt.type_bigint()),
        ('events_through', dbt.type_bigint()),
        ('campaigns_through', dbt.type_bigint()),
        ('messages_through', dbt.type_bigint()),
        ('links_through', dbt.type_bigint()),
        ('memberships_through', dbt.type_bigint()),
        ('viewer_timezones', dbt.type_string()),
        ('definitions', dbt.type_string()),
    ]) }}
{%- endmacro %}

{#- The dbt vars the per-campaign models compute with, as one text: when it changes (an
    operator moves a tracking date), every campaign is recomputed. -#}
{% macro definitions_in_use() -%}
    {%- set names = ['first_opens_tracked_since', 'all_opens_tracked_since', 'bot_user_agent_patterns',
                     'bot_click_within_seconds', 'bot_click_burst_gap_seconds', 'bot_click_burst_min_links'] -%}
    {%- set parts = [] -%}
    {%- for name in names -%}
        {%- do parts.append(name ~ '=' ~ (var(name) | string | replace("'", ""))) -%}
    {%- endfor -%}
    {{ return(parts | join(';')) }}
{%- endmacro %}

{#- on-run-start: the state table exists before anything reads it. -#}
{% macro create_completed_builds_table() -%}
    {%- set relation = source('warehouse', 'completed_builds') -%}
    {%- do run_query("create schema if not exists " ~ relation.schema) -%}
    {%- set columns = [] -%}
    {%- for name, type in completed_build_columns() -%}
        {%- do columns.append(name ~ " " ~ type) -%}
    {%- endfor -%}
    {%- do run_query("create table if not exists " ~ relation ~ " (" ~ columns | join(", ") ~ ")"
                     ~ (" using parquet" if target.type == 'spark' else "")) -%}
    select 1
{%- endmacro %}

{#- on-run-end: record this build as completed when int_inputs_seen, every per-campaign model
    and audit.rejected_rows (which reads the facts from the last completed build on)
    succeeded in this run (a run of some models only, or one that failed, records nothing). -#}
{% macro record_completed_build(results) -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set succeeded = [] -%}
    {%- for result in results if result.status == 'success' -%}
        {%- do succeeded.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- set needed = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
            and ('per_campaign' in node.tags
                 or node.name in ('int_inputs_seen', 'int_campaigns_touched', 'rejected_rows')) -%}
        {%- do needed.append(node.unique_id) -%}
    {%- endfor -%}
    {%- set missing = needed | reject('in', succeeded) | list -%}
    {%- if missing | length == 0 -%}
        {%- set seen = api.Relation.create(schema=warehouse_schema('intermediate'), identifier='int_inputs_seen') -%}
        {%- set columns = [] -%}
        {%- for name, type in completed_build_columns() -%}
            {%- do columns.append(name) -%}
        {%- endfor -%}
        {%- do run_query("insert into " ~ source('warehouse', 'completed_builds') ~ " (" ~ columns | join(", ")
                         ~ ") select " ~ columns | join(", ") ~ " from " ~ seen) -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- The distinct values of a column as one sorted text, the same on every engine. -#}
{% macro sorted_distinct_list(column) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'campaign_dw')(column)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(column) -%}
    array_join(array_sort(collect_set({{ column }})), ',')
{%- endmacro %}

{% macro duckdb__sorted_distinct_list(column) -%}
    string_agg(distinct {{ column }}, ',' order by {{ column }})
{%- endmacro %}
