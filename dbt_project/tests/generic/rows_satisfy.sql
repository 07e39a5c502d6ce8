{#- Every row satisfies each named rule (an SQL expression); a failing row is returned with
    the name of the rule it breaks. The invariants of a model in one test. This project's
    stand-in for dbt_utils.expression_is_true, several named rules in one query (dbt
    packages cannot be installed here). -#}
{% test rows_satisfy(model, rules) %}
{% for name, expression in rules.items() %}
select '{{ name | replace("'", "''") }}' as broken_rule, *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% endtest %}
