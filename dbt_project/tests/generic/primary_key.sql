{#- The grain of a table: its key (a column, or a combination of `columns`) is never NULL and
    never in two rows. One test instead of a unique and a not_null per column: a build runs
    each test as a query and reports it as a Dagster asset check. This project's stand-in
    for dbt_utils.unique_combination_of_columns plus not_null (dbt packages cannot be
    installed here). -#}
{% test primary_key(model, column_name=none, columns=none) %}
{%- set key = columns if columns else [column_name] -%}
select {{ key | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ key | join(', ') }}
having count(*) > 1
    {%- for column in key %} or {{ column }} is null{% endfor %}
{% endtest %}
