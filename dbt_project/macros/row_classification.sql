{#-
  Every raw row ends in exactly one bucket, so that raw = accepted + duplicates + rejected
  (+ orphans waiting for their send) can be proven (see audit/raw_row_reconciliation):

    rejected    a value the row cannot do without is missing or does not parse
                (`rejection_reason` says which)
    current     the row that wins for its key
    superseded  a dimension row replaced by a newer version of the same key
    duplicate   a fact row (event, send) delivered again: the first one received counts

  `_row_id` (set by the loader) numbers a raw table's rows in arrival order across loads.
-#}

{#- Dimension rows: the latest version wins (latest updated_at, then the latest arrival). -#}
{% macro latest_version_first() -%}
    updated_at desc, _row_id desc
{%- endmacro %}

{#- The small dimension tables classify every row with a window. (The large ones, audience
    memberships and prospects, keep their current versions incrementally:
    latest_versions_since_last_build in macros/incremental.sql.) -#}
{% macro classify_versions(key) -%}
    case
        when rejection_reason is not null then 'rejected'
        when row_number() over (
            partition by rejection_reason is null, {{ key }}
            order by {{ latest_version_first() }}
        ) = 1 then 'current'
        else 'superseded'
    end
{%- endmacro %}

{#- Facts delivered at least once: the first copy received wins. `relation` is a CTE of
    rows with `rejection_reason`; the result adds `row_status`. An aggregate of the first
    _row_id per key, joined back, is much cheaper than a window over millions of wide rows. -#}
{% macro classify_first_received(relation, key) -%}
    select
        {{ relation }}.*,
        case
            when {{ relation }}.rejection_reason is not null then 'rejected'
            when {{ relation }}._row_id = first_copies.first_row_id then 'current'
            else 'duplicate'
        end as row_status
    from {{ relation }}
    left join (
        select {{ key }} as copy_key, min(_row_id) as first_row_id
        from {{ relation }}
        where rejection_reason is null
        group by {{ key }}
    ) as first_copies
        on {{ relation }}.{{ key }} = first_copies.copy_key
{%- endmacro %}

{#- The reason a required value is unusable: missing, or present but not parseable. -#}
{% macro reject_if_missing(column) -%}
    when {{ column }} is null then 'missing {{ column }}'
{%- endmacro %}

{% macro reject_if_unparsed(typed_column, raw_text) -%}
    when {{ raw_text }} is not null and {{ typed_column }} is null
        then '{{ typed_column }} does not parse: ' || substr({{ raw_text }}, 1, 100)
{%- endmacro %}

{#- Lineage kept from the loader: which file and row a value came from, and when it arrived. -#}
{% macro lineage_columns() -%}
    _source_file, _source_row, _row_id, _load_id, _loaded_at
{%- endmacro %}
