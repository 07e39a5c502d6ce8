with

source as (
    select * from {{ source('recruiting', 'prospects') }}
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

select
    *,
    {{ classify_versions('prospect_id') }} as row_status
from checked
