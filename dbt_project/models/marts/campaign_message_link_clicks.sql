-- Clicks per link of a message: total = de-duplicated click events, unique = distinct
-- prospects who clicked. url and anchor text are the link's current ones, whenever the click
-- happened; a link unknown to message_links is listed with the url its clicks carried.
-- Footer links are left out; a link appears once it has a click; a click without a link_id
-- has no row here (it counts for its email and, by url, in campaign_link_clicks).
with

clicks as (
    select * from {{ ref('int_link_clicks_per_prospect') }}
    where link_id is not null
),

links as (
    select link_id, url, placement, anchor_text from {{ ref('int_message_links_current') }}
)

select
    clicks.campaign_id,
    clicks.message_id,
    clicks.link_id,
    coalesce(max(links.url), max(clicks.event_url), 'unknown link ' || clicks.link_id) as link_url,
    max(links.anchor_text) as anchor_text,
    cast(sum(clicks.clicks) as {{ dbt.type_bigint() }}) as total_clicks,
    cast(count(distinct clicks.prospect_id) as {{ dbt.type_bigint() }}) as unique_clicks,
    -- SPEC §3b: the same, bots' clicks left out (the rows are the same; these may be 0)
    cast(sum(clicks.clicks_by_people) as {{ dbt.type_bigint() }}) as total_clicks_by_people,
    cast(count(distinct case when clicks.clicks_by_people > 0 then clicks.prospect_id end) as {{ dbt.type_bigint() }})
        as unique_clicks_by_people
from clicks
left join links
    on clicks.link_id = links.link_id
where coalesce(links.placement, 'body') <> 'footer'
group by clicks.campaign_id, clicks.message_id, clicks.link_id
