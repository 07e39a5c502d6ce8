-- Every raw users row typed, with the reason it cannot be used (NULL when it can). Which
-- version of a user is current is decided in int_users_current.
with

source as (
    select * from {{ source('recruiting', 'users') }}
),

typed as (
    select
        {{ nullif_blank('user_id') }} as user_id,
        full_name,
        email,
        {{ nullif_blank('timezone') }} as timezone,
        {{ typed_timestamp('updated_at') }} as updated_at,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
)

select
    *,
    case
        {{ reject_if_missing('user_id') }}
        {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
        {{ reject_if_missing('updated_at') }}
    end as rejection_reason
from typed
