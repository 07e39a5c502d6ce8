-- Clicks per link url over all messages of a campaign: total = de-duplicated click events,
-- unique = distinct prospects who clicked. Footer links are left out.
select
    campaign_id,
    link_url,
    cast(count(*) as {{ dbt.type_bigint() }}) as total_clicks,
    cast(count(distinct prospect_id) as {{ dbt.type_bigint() }}) as unique_clicks
from {{ ref('int_email_events_joined_to_emails') }}
where is_counted_click
group by campaign_id, link_url
