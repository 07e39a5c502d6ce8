{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- Every raw row typed, with the reason it cannot be used (NULL when it can). Which version of
-- a key is current is decided in stg_recruiting__prospects.
-- A table, appended with the raw rows loaded since its last build (the largest dimension:
-- millions of rows at scale): each raw row is parsed once, like the facts.
with

source as (
    select * from {{ source('recruiting', 'prospects') }}
    {% if is_incremental() %}
    where _row_id > {{ watermark('_row_id') }}
    {% endif %}
),

typed as (
    select
        {{ nullif_blank('prospect_id') }} as prospect_id,
        email,
        first_name,
        last_name,
        {{ parse_timestamp('updated_at') }} as updated_at,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
),

checked as (
    select
        *,
        case
            {{ reject_if_missing('prospect_id') }}
            {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
            {{ reject_if_missing('updated_at') }}
        end as rejection_reason
    from typed
)

select * from checked
