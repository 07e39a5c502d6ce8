-- The current version of each campaign (the latest updated_at wins, then the latest arrival).
with

versions as (
    {{ latest_version_of_each('stg_recruiting__campaigns', ['campaign_id']) }}
)

select
    campaign_id,
    campaign_name,
    owner_user_id,
    status,
    language,
    started_at,
    ended_at,
    created_at,
    updated_at
from versions
