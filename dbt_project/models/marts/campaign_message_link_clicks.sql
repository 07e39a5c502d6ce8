-- Clicks per link of a message: total = de-duplicated click events, unique = distinct
-- prospects who clicked. Footer links are left out; a link appears once it has a click.
select
    campaign_id,
    message_id,
    link_id,
    max(link_url) as link_url,
    max(link_anchor_text) as anchor_text,
    cast(count(*) as {{ dbt.type_bigint() }}) as total_clicks,
    cast(count(distinct prospect_id) as {{ dbt.type_bigint() }}) as unique_clicks
from {{ ref('int_email_events_joined_to_emails') }}
where is_counted_click
group by campaign_id, message_id, link_id
