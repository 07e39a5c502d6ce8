{#- None of these columns holds a NULL: one scan of the model, a failing row per column that
    has NULLs (with how many). -#}
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
