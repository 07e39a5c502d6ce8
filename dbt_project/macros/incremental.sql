{#-
  Incremental facts read only what arrived since their last build. New facts are found by
  `_row_id` (the loader numbers raw rows in arrival order). A change to a dimension the fact
  is joined with (a message, campaign or link arriving or changing late) can touch any old
  row, so then the model rebuilds everything: the dimension watermarks kept in the table say
  whether that happened. Either way the result equals a full refresh.
-#}

{#- The newest raw row of each dimension, stored in every row of the fact (constant columns). -#}
{% macro dimension_watermark_columns(dimensions) -%}
    {%- for d in dimensions %}
    (select coalesce(max(_row_id), 0) from {{ source('recruiting', d) }}) as _dim_{{ d }}_row_id
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- True when the model must read everything: a full build, or a dimension changed since.
    The caller passes is_incremental() (evaluated in the model, where unit tests override it). -#}
{% macro needs_full_rebuild(dimensions, incremental) -%}
    {%- if not incremental -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set query -%}
        select
        {%- for d in dimensions %}
            (select coalesce(max(_row_id), 0) from {{ source('recruiting', d) }})
                > (select coalesce(max(_dim_{{ d }}_row_id), 0) from {{ this }})
            {{- " or" if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}

{#- The highest value of a column already in this model (the watermark of an input). -#}
{% macro watermark(column) -%}
    (select coalesce(max({{ column }}), 0) from {{ this }})
{%- endmacro %}
