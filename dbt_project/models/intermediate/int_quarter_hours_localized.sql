-- Local ISO day of week and hour, in each viewer time zone, of every UTC quarter-hour in which
-- a counted open happened (and of those this build replaced, int_opens_replaced). Converted with the zone's rules (daylight-saving changes, :30/:45
-- offsets), once per quarter-hour instead of once per open: time zone offsets are multiples
-- of 15 minutes and change on such boundaries, so every open of a quarter-hour has the same
-- local day and hour. (A few tens of thousands of rows per zone and year of data.)
with

quarter_hours as (
    select opened_quarter_hour from {{ ref('int_opens_tracked') }}
    union
    -- the opens this build replaced, which the heatmap cells kept by difference subtract
    select opened_quarter_hour from {{ ref('int_opens_replaced') }}
),

zones as (
    select viewer_timezone from {{ ref('int_viewer_timezones') }}
),

localized as (
    select
        quarter_hours.opened_quarter_hour,
        zones.viewer_timezone,
        {{ utc_to_local('quarter_hours.opened_quarter_hour', 'zones.viewer_timezone') }} as local_time
    from quarter_hours
    cross join zones
)

select
    opened_quarter_hour,
    viewer_timezone,
    {{ iso_day_of_week('local_time') }} as day_of_week,
    {{ hour_of_day('local_time') }} as hour_of_day
from localized
