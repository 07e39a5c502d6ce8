{#- Schemas are named exactly as configured (`staging`, `marts`, ...), not `main_marts`:
    BI tools and the contract in SPEC §5 address `marts.<table>`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
