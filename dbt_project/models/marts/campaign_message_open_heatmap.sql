-- Opens by local day of week and hour, per viewer time zone, for one message.
-- Which opens count is decided in int_opens_tracked. A missing cell reads as 0.
select
    campaign_id,
    message_id,
    viewer_timezone,
    day_of_week,
    hour_of_day,
    cast(count(*) as {{ dbt.type_bigint() }}) as opens,
    cast(count(distinct prospect_id) as {{ dbt.type_bigint() }}) as unique_prospects
from {{ ref('int_opens_localized') }}
group by campaign_id, message_id, viewer_timezone, day_of_week, hour_of_day
