{#-
  Every raw row ends in exactly one bucket, so that raw = accepted + superseded + duplicate +
  rejected (+ orphans waiting for their send) can be proven (audit/raw_row_reconciliation):

    rejected    a value the row cannot do without is missing or does not parse
                (`rejection_reason` in staging says which)
    current     the row that wins for its key
    superseded  a dimension row replaced by a newer version of the same key
    duplicate   a fact row (event, send) delivered again: the first one received counts

  `_row_id` (set by the loader) numbers a raw table's rows in arrival order across loads.
-#}

{#- Dimension rows: the latest version wins (latest updated_at, then the latest arrival). -#}
{% macro latest_version_first() -%}
    updated_at desc, _row_id desc
{%- endmacro %}

{#- The current version of each key of a typed staging model (valid rows only). -#}
{% macro latest_version_of_each(staged_model, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }} order by {{ latest_version_first() }}
            ) as version_rank
        from {{ ref(staged_model) }}
        where rejection_reason is null
    ) as ranked
    where version_rank = 1
{%- endmacro %}

{#- The reason a required value is unusable: missing, or present but not parseable. -#}
{% macro reject_if_missing(column) -%}
    when {{ column }} is null then 'missing {{ column }}'
{%- endmacro %}

{% macro reject_if_unparsed(typed_column, raw_text) -%}
    when {{ typed_column }} is null and {{ raw_text }} is not null
        then '{{ typed_column }} does not parse: ' || substr({{ raw_text }}, 1, 100)
{%- endmacro %}

{#- Lineage kept from the loader: which file and row a value came from, and when it arrived. -#}
{% macro lineage_columns() -%}
    _source_file, _source_row, _row_id, _load_id, _loaded_at
{%- endmacro %}
