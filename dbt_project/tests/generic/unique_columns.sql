{#- No two rows share the values of `columns`, NULLs counting as equal values (GROUP BY
    groups them): the grain of a table whose key has NULL parts (metrics_rollup). This
    project's stand-in for dbt_utils.unique_combination_of_columns (dbt packages cannot be
    installed here). -#}
{% test unique_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
