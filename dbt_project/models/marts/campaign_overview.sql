-- The dashboard header, one row per campaign: its current version, the size of its sequence
-- and its audience (int_audiences_counted).
with

campaigns as (
    select * from {{ ref('int_campaigns_current') }}
),

messages_per_campaign as (
    select campaign_id, count(*) as message_count
    from {{ ref('int_campaign_messages_current') }}
    group by campaign_id
),

audiences as (
    select campaign_id, prospects_entered, prospects_exited from {{ ref('int_audiences_counted') }}
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
    cast(coalesce(audiences.prospects_entered, 0) as {{ dbt.type_bigint() }}) as prospects_entered,
    cast(coalesce(audiences.prospects_exited, 0) as {{ dbt.type_bigint() }}) as prospects_exited
from campaigns
left join messages_per_campaign
    on campaigns.campaign_id = messages_per_campaign.campaign_id
left join audiences
    on campaigns.campaign_id = audiences.campaign_id
