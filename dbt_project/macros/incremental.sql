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
     whose inputs changed since the last completed build; the audience counts delete exactly
     those campaigns and insert their recount, in one transaction (the `replace_touched`
     strategy below). On DuckDB the per-email models (flags, bursts,
     tracked opens, link clicks per prospect, message counts) recount two disjoint parts: the
     campaigns marked whole_campaign (a reason that changes what they count), by campaign,
     and the touched emails of the others (int_emails_touched: new sends and events touch
     their emails, not their campaigns), by key (in_touched_emails, events_of_touched_emails
     below). The heatmap cells are kept by difference (macros/heatmap_cells.sql). On Spark
     every model recounts the touched campaigns. The marts are rebuilt from
     these counts and the current dimensions.

     On Spark (plain Parquet, which cannot delete rows) the same models are tables partitioned
     by a bucket of the campaign (`campaign_bucket`, below): a build overwrites the partitions
     of the touched buckets (dbt-spark's insert_overwrite, dynamic partition overwrite) and
     leaves every other partition's files as they are. So that a rewritten partition holds
     every campaign it held, int_campaigns_touched widens the scope there to whole buckets
     (reason `same partition`), and a touched bucket whose recount has no rows is dropped
     (drop_stale_campaign_buckets): dynamic overwrite replaces only the partitions it writes.

  How far the last completed build had read is the state table intermediate.completed_builds
  (a copy of that build's int_inputs_seen). It is written at the very end of a dbt run, and
  only when every per-campaign model succeeded in that run: a failed or killed build leaves
  its campaigns touched for the next one (a campaign version is compared with every version
  since that build, not only its current one: a failed build may have counted with any).
-#}

{#- The state this build started from (models/state/build_state.sql), read when a model
    compiles: {'last_completed_build': {...} or none, 'watermarks': {model: newest row},
    'unfinished_runs': n}.
    A unit test gives it as an override of this macro. -#}
{% macro build_state() -%}
    {%- if not execute -%}
        {{ return({'last_completed_build': none, 'watermarks': {}}) }}
    {%- endif -%}
    {%- set kept = ref('build_state') -%}
    {%- if adapter.get_relation(kept.database, kept.schema, kept.identifier) is not none -%}
        {%- set row = run_query("select *, built_at = " ~ built_at() ~ " as is_this_run from " ~ kept).rows[0] -%}
        {#- built by this run; or a command that builds nothing (`dbt compile` after a build
            gives the SQL that build ran; a row kept by an older version has no unfinished_runs) -#}
        {%- if row['is_this_run'] or flags.WHICH not in ('run', 'build') -%}
            {{ return({
                'last_completed_build': fromjson(row['last_completed_build']),
                'watermarks': fromjson(row['watermarks']),
                'unfinished_runs': (row['unfinished_runs'] if 'unfinished_runs' in row.keys() else 1) | int,
            }) }}
        {%- endif -%}
    {%- endif -%}
    {#- a run that did not build it (dbt run -s <model>, an asset materialized alone): its row
        is an earlier run's, so the state is read as it is now -#}
    {{ return(read_build_state()) }}
{%- endmacro %}

{#- The state a build starts from, read from the warehouse now: the last completed build's
    row (intermediate.completed_builds) and the newest row of every model that declares a
    watermark (`meta: {watermark: {column: ..., per: ...}}`), 0 (or none per key) for a model
    not built yet. models/state/build_state.sql keeps it for the build; build_state() reads it
    here again for a run that does not build that model (a model materialized alone). -#}
{% macro read_build_state() -%}
{%- set previous = none %}
{%- set watermarks = {} %}
{%- if execute %}
    {%- set completed = api.Relation.create(schema=warehouse_schema('intermediate'), identifier='completed_builds') %}
    {%- set rows = run_query("select * from " ~ completed ~ " order by built_at desc limit 1") %}
    {%- if rows.rows | length > 0 %}
        {%- set previous = {} %}
        {%- for name, value in rows.rows[0].items() if name != 'built_at' %}
            {%- do previous.update({name: value | int if name.endswith('_through') else value}) %}
        {%- endfor %}
    {%- endif %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.meta.watermark %}
        {%- set spec = node.config.meta.watermark %}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias or node.name) %}
        {%- if relation is none %}
            {%- do watermarks.update({node.name: {} if spec.per else 0}) %}
        {%- elif spec.per %}
            {%- set per = run_query(
                "select " ~ spec.per ~ ", coalesce(max(" ~ spec.column ~ "), 0) from " ~ relation ~ " group by " ~ spec.per
            ) %}
            {%- set values = {} %}
            {%- for row in per.rows %}
                {%- do values.update({row[0]: row[1] | int}) %}
            {%- endfor %}
            {%- do watermarks.update({node.name: values}) %}
        {%- else %}
            {%- set newest = run_query("select coalesce(max(" ~ spec.column ~ "), 0) from " ~ relation) %}
            {%- do watermarks.update({node.name: newest.columns[0].values()[0] | int}) %}
        {%- endif %}
    {%- endfor %}
{%- endif %}

    {{ return({'last_completed_build': previous, 'watermarks': watermarks, 'unfinished_runs': unfinished_runs()}) }}
{%- endmacro %}

{#- How many dbt runs started after the last completed build and did not complete it (a build
    that failed or was killed, a run of some models only), this one left out: 0 when the
    per-campaign tables are as the last completed build left them. The heatmap cells are
    kept by difference only then (heatmap_cells_by_difference). DuckDB only (none is
    recorded elsewhere). -#}
{% macro unfinished_runs() -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set started = api.Relation.create(schema=warehouse_schema('intermediate'), identifier='started_builds') -%}
    {%- set completed = api.Relation.create(schema=warehouse_schema('intermediate'), identifier='completed_builds') -%}
    {{ return(run_query(
        "select count(*) from " ~ started ~ " as started where started.built_at < " ~ built_at()
        ~ " and not exists (select 1 from " ~ completed ~ " as completed where completed.built_at >= started.built_at)"
    ).columns[0].values()[0] | int) }}
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

{#- The campaigns int_campaigns_touched lists (with whole_only, those the per-email models
    recount whole), read when a model compiles (after that model was built). A unit test gives
    them as an override of this macro. -#}
{% macro touched_campaigns(whole_only=false) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(run_query(
        "select campaign_id from " ~ ref('int_campaigns_touched')
        ~ (" where whole_campaign" if whole_only else "") ~ " order by campaign_id"
    ).columns[0].values() | list) }}
{%- endmacro %}

{#- The filter of a per-campaign model's inputs: the touched campaigns (with whole_only, those
    recounted whole) on an incremental build, everything on a full one. Written as literals: a
    constant filter reaches the scan of the sends beneath the events' views, where an IN
    subquery is applied only after their joins. Beyond max_literal_campaigns (a build that
    recomputes most campaigns of a large warehouse) the subquery: the filter then keeps most
    rows anyway, and the SQL stays small. -#}
{% macro in_touched_campaigns(column='campaign_id', whole_only=false) -%}
    {%- set max_literal_campaigns = 2000 -%}
    {%- if not is_incremental() -%}
        true
    {%- else -%}
        {%- set touched = touched_campaigns(whole_only) -%}
        {%- if touched | length == 0 -%}
            false
        {%- elif touched | length > max_literal_campaigns or not literals_read_as_written(touched) -%}
            {{ column }} in (select campaign_id from {{ ref('int_campaigns_touched') }}{{ " where whole_campaign" if whole_only }})
        {%- else -%}
            {{ column }} in ({% for campaign_id in touched %}'{{ campaign_id | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The filter of a per-email model's inputs (int_click_bursts, int_emails_flagged,
    int_opens_tracked, int_link_clicks_per_prospect, int_message_emails_counted) on an
    incremental build: the rows of the campaigns recounted whole, and those whose `columns`
    (qualified names of int_emails_touched's columns: email_id, or campaign_id, message_id,
    send_date, ...) are a touched email's; on a full build everything. On Spark, whose tables
    are rewritten a partition of campaigns at a time, the touched campaigns. -#}
{% macro in_touched_emails(columns=['email_id'], campaign_column='campaign_id') -%}
    {%- if target.type != 'duckdb' or not is_incremental() -%}
        {{ in_touched_campaigns(campaign_column) }}
    {%- else -%}
        ({{ in_touched_campaigns(campaign_column, whole_only=true) }} or ({{ columns | join(', ') }}) in (
            select {% for column in columns %}{{ column.split('.') | last }}{{ ", " if not loop.last }}{% endfor %}
            from {{ ref('int_emails_touched') }}
        ))
    {%- endif -%}
{%- endmacro %}

{#- The events a per-email model counts, as a subquery: the classed events
    (int_email_events_classified) or, for int_click_bursts, the events joined to their sends
    (int_email_events_joined_to_sends). On an incremental build on DuckDB those of the
    campaigns recounted whole (the view, filtered by campaign literals) and, apart, those of
    the touched emails: int_email_events_touched, read once per build (a filter by email on
    the view would be applied only after its joins, every event joined to its send first),
    classed by the view's own query (email_events_classified). Otherwise the view, filtered by
    in_touched_emails(). The same rows either way. dbt sees only the refs of the branch taken
    when it parses: a model that reads this declares `-- depends_on:` int_emails_touched,
    int_email_events_touched and int_click_bursts. -#}
{% macro events_of_touched_emails(classified=true) -%}
    {%- set view = ref('int_email_events_classified' if classified else 'int_email_events_joined_to_sends') -%}
    {%- if target.type == 'duckdb' and is_incremental() -%}
    (
        select * from {{ view }}
        where {{ in_touched_campaigns('campaign_id', whole_only=true) }}
        union all
        {%- if classified %}
        select * from ({{ email_events_classified(
            events=ref('int_email_events_touched'),
            where="email_id in (select email_id from " ~ ref('int_emails_touched') ~ ")"
        ) }}) as touched
        {%- else %}
        select * from {{ ref('int_email_events_touched') }}
        {%- endif %}
    )
    {%- else -%}
    (select * from {{ view }} where {{ in_touched_emails() }})
    {%- endif -%}
{%- endmacro %}

{#- Whether every text is read as written inside a '...' literal, quotes doubled. On Spark
    only plain texts are (letters, digits, `_.:/-`): a session may read quotes otherwise
    (spark.sql.parser.escapedStringLiterals), and it substitutes ${...} inside literals. -#}
{% macro literals_read_as_written(texts) -%}
    {%- if target.type != 'spark' -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for text in texts if not modules.re.fullmatch('[\\w.:/-]+', text | string) -%}
        {{ return(false) }}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}

{#- The row order of a per-campaign table (DuckDB; ends the model's query): a campaign's rows
    side by side, so its ids and times compress to little (benchmarks/README.md) and a rebuilt
    campaign's rows are written together. On Spark a global sort costs a shuffle for no gain;
    there the rows are distributed by their partition instead, so that each partition is
    written as one file, not one per task. -#}
{% macro campaign_order(columns=['campaign_id']) -%}
    {%- if target.type == 'duckdb' -%}
    order by {{ columns | join(', ') }}
    {%- elif target.type == 'spark' -%}
    distribute by campaign_bucket
    {%- endif -%}
{%- endmacro %}

{#- ---- Spark: per-campaign tables partitioned by a bucket of the campaign --------------------- -#}

{#- How many buckets the campaigns are spread over. A partition holds the campaigns of one
    bucket, and a build rewrites the buckets of the campaigns it touched: with k campaigns per
    bucket and a share f of them touched, 1 - (1 - f)^k of the partitions, so k must stay small
    for a build to rewrite little more than it touched. Against that, a table has up to this
    many partitions (a file each, an entry each in the metastore, listed by every reader).
    Changing it moves campaigns to other partitions: `campaign-dw build --full-refresh` then. -#}
{% macro campaign_buckets() -%}
    {{ return(1024) }}
{%- endmacro %}

{#- A campaign's bucket (Spark SQL): a non-negative hash modulo campaign_buckets(). -#}
{% macro campaign_bucket(column='campaign_id') -%}
    pmod(hash({{ column }}), {{ campaign_buckets() }})
{%- endmacro %}

{#- The partition column of a per-campaign table, after its last column (Spark only; nothing
    on DuckDB, whose tables are not partitioned). -#}
{% macro campaign_partition_column(column='campaign_id') -%}
    {%- if target.type == 'spark' -%}
    , {{ campaign_bucket(column) }} as campaign_bucket
    {%- endif -%}
{%- endmacro %}

{#- The end of int_campaigns_touched: its rows (`touched`), and on Spark every other campaign of
    `every_campaign` that shares a bucket with one of them (reason `same partition`): a build
    rewrites a partition whole, so it recounts every campaign of it. -#}
{% macro with_whole_campaign_buckets(touched, every_campaign) -%}
    {%- if target.type != 'spark' %}
    select campaign_id, reason, whole_campaign from {{ touched }}
    {%- else %}
    select campaign_id, reason, true as whole_campaign from {{ touched }}
    union all
    select every_campaign.campaign_id, 'same partition' as reason, true as whole_campaign
    from {{ every_campaign }} as every_campaign
    where {{ campaign_bucket('every_campaign.campaign_id') }} in (
        select {{ campaign_bucket('campaign_id') }} from {{ touched }}
    )
    and not exists (
        select 1 from {{ touched }} as touched where touched.campaign_id = every_campaign.campaign_id
    )
    {%- endif %}
{%- endmacro %}

{#- A post-hook of the per-campaign models (Spark only): drop each touched bucket's partition
    that this build did not write, i.e. whose rows are all older (`_built_at`). Dynamic
    partition overwrite replaces only the partitions the new rows fall in: without this, the
    campaigns of a bucket whose recount has no rows (a campaign whose messages all moved away,
    say) would keep their old rows. Renders nothing on DuckDB and on a full build. -#}
{% macro drop_stale_campaign_buckets() -%}
    {%- if execute and target.type == 'spark' and is_incremental() -%}
        {%- set touched = run_query(
            "select distinct " ~ campaign_bucket() ~ " from " ~ ref('int_campaigns_touched')
        ).columns[0].values() | list -%}
        {%- if touched | length > 0 -%}
            {%- set stale = run_query(
                "select distinct campaign_bucket from " ~ this ~ " where campaign_bucket in ("
                ~ touched | join(', ') ~ ") and _built_at <> " ~ built_at()
            ).columns[0].values() | list -%}
            {%- if stale | length > 0 -%}
    alter table {{ this }} drop if exists
        {%- for bucket in stale | sort %} partition (campaign_bucket = {{ bucket | int }}){{ "," if not loop.last }}{% endfor %}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The incremental strategy of the per-campaign models (dbt finds it by its name): remove the
    touched rows, then insert their recount, in the model's transaction. A model keyed by
    campaign removes the campaigns of int_campaigns_touched; a per-email model (`touched_key`:
    its columns, all of int_emails_touched's) removes the campaigns recounted whole and the
    rows of the touched emails' keys. A key whose recount has no rows keeps none. A model kept
    by difference (the heatmap cells: `replaced_key`, the key of its own rows) removes the
    campaigns it recounted whole and the rows its recount rewrites, and keeps only the new rows
    that pass `kept_where` (a cell whose opens fell to 0 is removed). -#}
{% macro get_incremental_replace_touched_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set key = config.get('touched_key') -%}
    {%- set replaced_key = config.get('replaced_key') -%}
    delete from {{ arg_dict['target_relation'] }}
    {%- if replaced_key %}
    where {{ in_touched_campaigns('campaign_id', whole_only=heatmap_cells_by_difference()) }}
        or ({{ replaced_key | join(', ') }}) in (select {{ replaced_key | join(', ') }} from {{ arg_dict['temp_relation'] }});
    {%- elif key %}
    where campaign_id in (select campaign_id from {{ ref('int_campaigns_touched') }} where whole_campaign)
        or ({{ key | join(', ') }}) in (select {{ key | join(', ') }} from {{ ref('int_emails_touched') }});
    {%- else %}
    where campaign_id in (select campaign_id from {{ ref('int_campaigns_touched') }});
    {%- endif %}
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
    {%- if config.get('kept_where') %}
    where {{ config.get('kept_where') }}
    {%- endif %}
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

{#- on-run-start: the state tables exist before anything reads them, and on DuckDB a run that
    builds a per-campaign model (dbt run / build) is recorded as started
    (intermediate.started_builds, emptied when a build completes): a later build knows whether
    the per-campaign tables may hold a half-done run's work (unfinished_runs). A run of other
    models only (the marts rebuilt from an asset page, say) cannot leave them half-done, and
    the next build still keeps the heatmap cells by difference. -#}
{% macro create_completed_builds_table() -%}
    {%- set relation = source('warehouse', 'completed_builds') -%}
    {%- do run_query("create schema if not exists " ~ relation.schema) -%}
    {%- set columns = [] -%}
    {%- for name, type in completed_build_columns() -%}
        {%- do columns.append(name ~ " " ~ type) -%}
    {%- endfor -%}
    {%- do run_query("create table if not exists " ~ relation ~ " (" ~ columns | join(", ") ~ ")"
                     ~ (" using parquet" if target.type == 'spark' else "")) -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set started = api.Relation.create(schema=relation.schema, identifier='started_builds') -%}
        {%- if run_query("select count(*) from information_schema.tables where table_schema = '"
                         ~ started.schema ~ "' and table_name = 'started_builds'").columns[0].values()[0] == 0 -%}
            {#- a warehouse of an earlier version: whether its last run completed is not known, so
                it counts as one that did not (just before this run) -#}
            {%- do run_query("create table " ~ started ~ " (built_at " ~ dbt.type_timestamp() ~ ")") -%}
            {%- do run_query("insert into " ~ started ~ " values (" ~ built_at() ~ " - interval 1 microsecond)") -%}
        {%- endif -%}
        {%- if flags.WHICH in ('run', 'build') and builds_per_campaign_models() -%}
            {%- do run_query("insert into " ~ started ~ " values (" ~ built_at() ~ ")") -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- Whether this run selects a model of models/intermediate/per_campaign. -#}
{% macro builds_per_campaign_models() -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and 'per_campaign' in node.tags
            and node.unique_id in selected_resources -%}
        {{ return(true) }}
    {%- endfor -%}
    {{ return(false) }}
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
                 or node.name in ('int_inputs_seen', 'int_campaigns_touched', 'int_emails_touched', 'rejected_rows')) -%}
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
        {%- if target.type == 'duckdb' -%}
            {%- do run_query("delete from " ~ api.Relation.create(schema=warehouse_schema('intermediate'), identifier='started_builds')
                             ~ " where built_at <= " ~ built_at()) -%}
        {%- endif -%}
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
