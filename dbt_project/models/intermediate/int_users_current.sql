-- The current version of each viewer (the latest updated_at wins, then the latest arrival),
-- with the time zone the dashboard draws their heatmap in.
with

versions as (
    {{ latest_version_of_each('stg_recruiting__users', ['user_id']) }}
),

known_time_zones as (
    select time_zone from {{ ref('iana_time_zones') }}
)

select
    versions.user_id,
    versions.full_name,
    versions.timezone,
    -- NULL or unknown zones fall back to UTC (and are listed in audit.data_quality_warnings).
    coalesce(known_time_zones.time_zone, 'UTC') as viewer_timezone,
    known_time_zones.time_zone is null as has_unknown_timezone,
    versions.updated_at
from versions
left join known_time_zones
    on versions.timezone = known_time_zones.time_zone
