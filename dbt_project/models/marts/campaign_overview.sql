with

campaigns as (
    select * from {{ ref('stg_recruiting__campaigns') }}
),

messages_per_campaign as (
    select campaign_id, count(*) as message_count
    from {{ ref('stg_recruiting__campaign_messages') }}
    group by campaign_id
),

audience_per_campaign as (
    select
        campaign_id,
        count(distinct prospect_id) as prospects_entered,
        sum(case when exited_at is not null then 1 else 0 end) as prospects_exited
    from {{ ref('stg_recruiting__audience_memberships') }}
    group by campaign_id
)

select
    campaigns.campaign_id,
    campaigns.campaign_name,
    campaigns.status,
    campaigns.language,
    campaigns.owner_user_id,
    campaigns.started_at,
    campaigns.ended_at,
    cast(coalesce(messages_per_campaign.message_count, 0) as {{ dbt.type_bigint() }}) as message_count,
    cast(coalesce(audience_per_campaign.prospects_entered, 0) as {{ dbt.type_bigint() }}) as prospects_entered,
    cast(coalesce(audience_per_campaign.prospects_exited, 0) as {{ dbt.type_bigint() }}) as prospects_exited
from campaigns
left join messages_per_campaign
    on campaigns.campaign_id = messages_per_campaign.campaign_id
left join audience_per_campaign
    on campaigns.campaign_id = audience_per_campaign.campaign_id
