{#- A rate is a fraction in [0, 1] or NULL (SPEC §4). -#}
{% test rate_in_unit_interval(model, column_name) %}
select * from {{ model }} where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
