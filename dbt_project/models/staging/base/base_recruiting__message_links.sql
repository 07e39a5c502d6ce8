with

source as (
    select * from {{ source('recruiting', 'message_links') }}
),

typed as (
    select
        {{ nullif_blank('link_id') }} as link_id,
        {{ nullif_blank('message_id') }} as message_id,
        url,
        lower(trim(placement)) as placement,
        anchor_text,
        {{ parse_timestamp('updated_at') }} as updated_at,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
),

checked as (
    select
        *,
        case
            {{ reject_if_missing('link_id') }}
            {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
            {{ reject_if_missing('updated_at') }}
        end as rejection_reason
    from typed
)

select
    *,
    {{ classify_versions('link_id') }} as row_status
from checked
