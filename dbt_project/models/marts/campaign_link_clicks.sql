-- Clicks per link url over all messages of a campaign: total = de-duplicated click events,
-- unique = distinct prospects who clicked. A known link shows its current url; a link
-- unknown to message_links the url its clicks carried; a click without a link_id is listed
-- under its url when it has one. Footer links (by their current placement) are left out.
with

clicks as (
    select * from {{ ref('int_link_clicks_per_prospect') }}
),

links as (
    select link_id, url, placement from {{ ref('int_message_links_current') }}
),

clicks_by_url as (
    select
        clicks.campaign_id,
        coalesce(
            links.url,
            clicks.event_url,
            case when clicks.link_id is not null then 'unknown link ' || clicks.link_id end
        ) as link_url,
        clicks.prospect_id,
        clicks.clicks,
        clicks.clicks_by_people
    from clicks
    left join links
        on clicks.link_id = links.link_id
    where coalesce(links.placement, 'body') <> 'footer'
)

select
    campaign_id,
    link_url,
    cast(sum(clicks) as {{ dbt.type_bigint() }}) as total_clicks,
    cast(count(distinct prospect_id) as {{ dbt.type_bigint() }}) as unique_clicks,
    -- SPEC §3b: the same, bots' clicks left out (the rows are the same; these may be 0)
    cast(sum(clicks_by_people) as {{ dbt.type_bigint() }}) as total_clicks_by_people,
    cast(count(distinct case when clicks_by_people > 0 then prospect_id end) as {{ dbt.type_bigint() }})
        as unique_clicks_by_people
from clicks_by_url
where link_url is not null
group by campaign_id, link_url
