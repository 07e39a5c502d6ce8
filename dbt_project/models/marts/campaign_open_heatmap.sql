-- Opens by local day of week and hour, per viewer time zone, over all messages of a campaign.
-- Which opens count is decided in int_opens_tracked. A missing cell reads as 0.
select
    opens.campaign_id,
    local_times.viewer_timezone,
    local_times.day_of_week,
    local_times.hour_of_day,
    cast(count(*) as {{ dbt.type_bigint() }}) as opens,
    cast(count(distinct opens.prospect_id) as {{ dbt.type_bigint() }}) as unique_prospects
from {{ ref('int_opens_tracked') }} as opens
inner join {{ ref('int_quarter_hours_localized') }} as local_times
    on opens.opened_quarter_hour = local_times.opened_quarter_hour
group by opens.campaign_id, local_times.viewer_timezone, local_times.day_of_week, local_times.hour_of_day
