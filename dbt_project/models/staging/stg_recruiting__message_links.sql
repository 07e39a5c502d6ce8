-- Every raw message_links row typed, with the reason it cannot be used (NULL when it can).
-- Which version of a link is current is decided in int_message_links_current.
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
        {{ typed_timestamp('updated_at') }} as updated_at,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
)

select
    *,
    case
        {{ reject_if_missing('link_id') }}
        {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
        {{ reject_if_missing('updated_at') }}
    end as rejection_reason
from typed
