{#- A tracking-history date var (SPEC §5) as a timestamp literal. The value is checked to be a
    plain YYYY-MM-DD date before it reaches SQL, so a var can never inject SQL. -#}
{% macro tracking_date(var_name) -%}
    {%- set value = var(var_name) | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a date YYYY-MM-DD, got: " ~ value) }}
    {%- endif -%}
    cast('{{ value }} 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Whether a campaign (a relation with its ended_at) has an open heatmap: it had not ended
    before first_opens_tracked_since (SPEC §5; int_opens_tracked). -#}
{% macro campaign_has_heatmap(campaign) -%}
    ({{ campaign }}.ended_at is null or {{ campaign }}.ended_at >= {{ tracking_date('first_opens_tracked_since') }})
{%- endmacro %}
