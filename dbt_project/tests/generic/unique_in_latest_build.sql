{#- The grain of an incremental table (a column, or a combination of `columns`), checked where
    a build can break it: each key among the rows this build wrote is in one row of the
    whole table. Rows of earlier builds were checked by their own builds, so a build checks
    what it added against history instead of grouping all of history again (which grows with
    the history, every build: benchmarks/README.md); a build that added nothing checks nothing
    (not even a join with no rows on one side, which still scans the table).
    When this build wrote every row (a full build), that is a plain unique test. Needs the
    model's `_built_at` column (macros/incremental.sql). This project's own: dbt_utils'
    unique_combination_of_columns (the full build's case) checks the whole table every time. -#}
{% test unique_in_latest_build(model, column_name=none, columns=none) %}
{%- set key = columns if columns else [column_name] -%}
{#- In `dbt build` the rows of this build (the same `_built_at` for every model of a run);
    in `dbt test` after it, the rows of the table's latest build. -#}
{%- set this_build = run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") -%}
{%- set whole_table = true -%}
{%- set nothing_to_list = false -%}
{%- if execute -%}
    {#- tests compile when they run, after their model -#}
    {%- if flags.WHICH != 'build' -%}
        {%- set this_build = run_query(
            "select cast(max(_built_at) as " ~ dbt.type_string() ~ ") from " ~ model).columns[0].values()[0] -%}
    {%- endif -%}
    {%- if this_build is not none -%}
        {%- set this_build_at = "cast('" ~ this_build ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
        {%- set built = run_query(
            "select min(_built_at) = " ~ this_build_at ~ ", max(_built_at) = " ~ this_build_at ~ " from " ~ model
        ).rows[0] -%}
        {%- set whole_table = built[0] is true -%}
        {%- set nothing_to_list = built[1] is not true -%}
    {%- endif -%}
    {#- A build that kept its keys unique wrote each key once and left no older row of it:
        two counts and a semi-join answer that, where grouping the join of its keys with
        the whole table costs the most of any test of an incremental build on large tables.
        Only when they do not hold are the keys grouped, to list them. -#}
    {%- if not whole_table and not nothing_to_list -%}
        {%- set same_key = [] -%}
        {%- for column in key -%}
            {%- do same_key.append("latest." ~ column ~ " = older." ~ column) -%}
        {%- endfor -%}
        {#- An older row of a latest key has the latest rows' first key column too: filtered
            on that alone first, which the engine applies in the scan, the probe on the whole
            key reads only those rows (the touched campaigns' of a per-campaign table). -#}
        {%- set older_in_latest = "" if key | length == 1 else (
            " and older." ~ key[0] ~ " in (select " ~ key[0] ~ " from " ~ model
            ~ " where _built_at = " ~ this_build_at ~ ")") -%}
        {%- set excess = run_query(
            "select (select count(*) from " ~ model ~ " where _built_at = " ~ this_build_at ~ ")"
            ~ " - (select count(*) from (select distinct " ~ key | join(', ') ~ " from " ~ model
            ~ " where _built_at = " ~ this_build_at ~ ") as latest_keys)"
            ~ " + (select count(*) from " ~ model ~ " as older"
            ~ " where (older._built_at is null or older._built_at <> " ~ this_build_at ~ ")"
            ~ older_in_latest
            ~ " and exists (select 1 from " ~ model ~ " as latest where latest._built_at = " ~ this_build_at
            ~ " and " ~ same_key | join(" and ") ~ "))"
        ).columns[0].values()[0] -%}
        {%- set nothing_to_list = excess == 0 -%}
    {%- endif -%}
{%- endif -%}
{%- if nothing_to_list %}
select {{ key | join(', ') }}, 0 as rows_with_this_key
from {{ model }}
where false
{%- elif whole_table %}
select {{ key | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ key | join(', ') }}
having count(*) > 1
{%- else %}
with

latest_keys as (
    select distinct {{ key | join(', ') }}
    from {{ model }}
    where _built_at = cast('{{ this_build }}' as {{ dbt.type_timestamp() }})
)

select {% for column in key %}whole.{{ column }}, {% endfor %}count(*) as rows_with_this_key
from {{ model }} as whole
inner join latest_keys
    on {% for column in key %}whole.{{ column }} = latest_keys.{{ column }}{{ " and " if not loop.last }}{% endfor %}
group by {% for column in key %}whole.{{ column }}{{ ", " if not loop.last }}{% endfor %}
having count(*) > 1
{%- endif %}
{% endtest %}
