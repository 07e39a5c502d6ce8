{#- The grain of an incremental table (a column, or a combination of `columns`), checked where
    a build can break it: each key among the rows the latest build wrote (every row, after a
    full build) is in one row of the whole table. Rows of earlier builds were checked by
    their own builds, so a build checks what it added against history, instead of grouping
    all of history again (at 100M events that was half a minute per table and build).
    Needs the model's `_built_at` column (macros/incremental.sql). -#}
{% test unique_in_latest_build(model, column_name=none, columns=none) %}
{%- set key = columns if columns else [column_name] -%}
with

latest_keys as (
    select distinct {{ key | join(', ') }}
    from {{ model }}
    where _built_at = (select max(_built_at) from {{ model }})
)

select {% for column in key %}whole.{{ column }}, {% endfor %}count(*) as rows_with_this_key
from {{ model }} as whole
inner join latest_keys
    on {% for column in key %}whole.{{ column }} = latest_keys.{{ column }}{{ " and " if not loop.last }}{% endfor %}
group by {% for column in key %}whole.{{ column }}{{ ", " if not loop.last }}{% endfor %}
having count(*) > 1
{% endtest %}
