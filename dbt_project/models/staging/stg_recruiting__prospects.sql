{{ config(
    materialized='incremental', incremental_strategy='append', on_schema_change='fail',
    meta={'watermark': {'column': '_row_id'}},
) }}
-- depends_on: {{ ref('build_state') }}
-- Every raw prospects row typed, with the reason it cannot be used (NULL when it can).
-- Personal data (email, names): it stays here, no mart reads it. Appended with the raw rows
-- loaded since the last build (millions of rows at scale: each is parsed once).
with

source as (
    {{ raw_rows_since_last_build('prospects') }}
),

typed as (
    select
        {{ nullif_blank('prospect_id') }} as prospect_id,
        email,
        first_name,
        last_name,
        {{ typed_timestamp('updated_at') }} as updated_at,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
)

select
    *,
    case
        {{ reject_if_missing('prospect_id') }}
        {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
        {{ reject_if_missing('updated_at') }}
    end as rejection_reason
from typed
