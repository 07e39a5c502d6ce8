with

users as (
    select * from {{ ref('base_recruiting__users') }} where row_status = 'current'
),

known_time_zones as (
    select time_zone from {{ ref('iana_time_zones') }}
)

select
    users.user_id,
    users.full_name,
    users.timezone,
    -- The zone the dashboard uses for this viewer: NULL or unknown zones fall back to UTC
    -- (and are listed in audit.data_quality_warnings).
    coalesce(known_time_zones.time_zone, 'UTC') as viewer_timezone,
    known_time_zones.time_zone is null as has_unknown_timezone,
    users.updated_at
from users
left join known_time_zones
    on users.timezone = known_time_zones.time_zone
