{#- None of these columns holds a NULL: one scan of the model, a failing row per column that
    has NULLs (with how many). This project's stand-in for dbt_utils.not_null_proportion at
    1 (or a not_null test per column), as dbt packages cannot be installed here. -#}
{% test not_null_columns(model, columns) %}
with

nulls as (
    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in columns %}
select '{{ column }}' as column_name, {{ column }} as null_rows from nulls where {{ column }} > 0
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% endtest %}
