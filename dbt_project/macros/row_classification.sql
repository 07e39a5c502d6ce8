{#-
  Every raw row ends in exactly one bucket, so that raw = accepted + duplicates + rejected
  (+ orphans waiting for their send) can be proven (see audit/raw_row_reconciliation):

    rejected    a value the row cannot do without is missing or does not parse
                (`rejection_reason` says which)
    current     the row that wins for its key
    superseded  a dimension row replaced by a newer version of the same key
    duplicate   a fact row (event, send) delivered again: the first one received counts
-#}

{#- The row's bucket. `key` partitions; `winner_first` orders so that the winner comes first
    and must end in a total order (lineage columns), so that the choice is repeatable. -#}
{% macro classify_row(key, winner_first, loser='duplicate') -%}
    case
        when rejection_reason is not null then 'rejected'
        when row_number() over (
            partition by rejection_reason is null, {{ key }}
            order by {{ winner_first }}
        ) = 1 then 'current'
        else '{{ loser }}'
    end
{%- endmacro %}

{#- The reason a required value is unusable: missing, or present but not parseable. -#}
{% macro reject_if_missing(column) -%}
    when {{ column }} is null then 'missing {{ column }}'
{%- endmacro %}

{% macro reject_if_unparsed(typed_column, raw_text) -%}
    when {{ raw_text }} is not null and {{ typed_column }} is null
        then '{{ typed_column }} does not parse: ' || substr({{ raw_text }}, 1, 100)
{%- endmacro %}

{#- Lineage kept from the loader: which file and row a value came from. -#}
{% macro lineage_columns() -%}
    _source_file, _source_row, _load_id, _loaded_at
{%- endmacro %}

{#- Dimension rows: the latest version wins (latest updated_at, then the latest load). -#}
{% macro newest_version_first() -%}
    updated_at desc, _loaded_at desc, _source_file desc, _source_row desc
{%- endmacro %}

{#- Facts delivered at least once: the first copy received wins. -#}
{% macro first_received_first() -%}
    _loaded_at, _source_file, _source_row
{%- endmacro %}
