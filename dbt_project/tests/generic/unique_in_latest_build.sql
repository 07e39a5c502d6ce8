{#- The grain of an incremental table (a column, or a combination of `columns`), checked where
    a build can break it: each key among the rows the latest build wrote is in one row of the
    whole table. Rows of earlier builds were checked by their own builds, so a build checks
    what it added against history instead of grouping all of history again (at 100M events
    that was half a minute per table and build). When every row comes from one build (after
    a full build), that is a plain unique test. Needs the model's `_built_at` column
    (macros/incremental.sql). -#}
{% test unique_in_latest_build(model, column_name=none, columns=none) %}
{%- set key = columns if columns else [column_name] -%}
{%- set latest = none -%}
{%- if execute -%}
    {#- tests compile when they run, after their model: ask which builds the table holds -#}
    {%- set builds = run_query(
        "select cast(max(_built_at) as " ~ dbt.type_string() ~ "), min(_built_at) < max(_built_at) from " ~ model
    ) -%}
    {%- if builds.columns[1].values()[0] -%}
        {%- set latest = builds.columns[0].values()[0] -%}
    {%- endif -%}
{%- endif -%}
{%- if latest is none %}
select {{ key | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ key | join(', ') }}
having count(*) > 1
{%- else %}
with

latest_keys as (
    select distinct {{ key | join(', ') }}
    from {{ model }}
    where _built_at = cast('{{ latest }}' as {{ dbt.type_timestamp() }})
)

select {% for column in key %}whole.{{ column }}, {% endfor %}count(*) as rows_with_this_key
from {{ model }} as whole
inner join latest_keys
    on {% for column in key %}whole.{{ column }} = latest_keys.{{ column }}{{ " and " if not loop.last }}{% endfor %}
group by {% for column in key %}whole.{{ column }}{{ ", " if not loop.last }}{% endfor %}
having count(*) > 1
{%- endif %}
{% endtest %}
