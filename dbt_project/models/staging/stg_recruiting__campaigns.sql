-- Every raw campaigns row typed, with the reason it cannot be used (NULL when it can).
-- Which version of a campaign is current is decided in int_campaigns_current.
with

source as (
    select * from {{ source('recruiting', 'campaigns') }}
),

typed as (
    select
        {{ nullif_blank('campaign_id') }} as campaign_id,
        name as campaign_name,
        {{ nullif_blank('owner_user_id') }} as owner_user_id,
        lower(trim(status)) as status,
        lower(trim(language)) as language,
        {{ typed_timestamp('started_at') }} as started_at,
        {{ typed_timestamp('ended_at') }} as ended_at,
        {{ typed_timestamp('created_at') }} as created_at,
        {{ typed_timestamp('updated_at') }} as updated_at,
        {{ nullif_blank('started_at') }} as started_at_text,
        {{ nullif_blank('ended_at') }} as ended_at_text,
        {{ nullif_blank('created_at') }} as created_at_text,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
)

select
    *,
    case
        {{ reject_if_missing('campaign_id') }}
        {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
        {{ reject_if_missing('updated_at') }}
        {{ reject_if_unparsed('started_at', 'started_at_text') }}
        {{ reject_if_unparsed('ended_at', 'ended_at_text') }}
        {{ reject_if_unparsed('created_at', 'created_at_text') }}
    end as rejection_reason
from typed
