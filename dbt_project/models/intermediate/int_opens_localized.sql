-- Each counted open in each viewer time zone, as local ISO day of week and hour. Converted
-- per event (not by a fixed offset), so daylight-saving changes and :30/:45 zones are right.
with

opens as (
    select * from {{ ref('int_opens_tracked') }}
),

zones as (
    select * from {{ ref('int_viewer_timezones') }}
),

localized as (
    select
        opens.event_id,
        opens.campaign_id,
        opens.message_id,
        opens.prospect_id,
        zones.viewer_timezone,
        {{ utc_to_local('opens.occurred_at', 'zones.viewer_timezone') }} as opened_at_local
    from opens
    cross join zones
)

select
    event_id,
    campaign_id,
    message_id,
    prospect_id,
    viewer_timezone,
    opened_at_local,
    {{ iso_day_of_week('opened_at_local') }} as day_of_week,
    {{ hour_of_day('opened_at_local') }} as hour_of_day
from localized
