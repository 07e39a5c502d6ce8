-- depends_on: {{ ref('int_campaigns_touched') }}
-- The overview's audience figures per campaign: prospects with a membership, and
-- memberships with exited_at set, from the current version of each membership (the latest
-- updated_at wins, then the latest arrival). Kept per campaign (macros/incremental.sql).
with

versions as (
    select
        campaign_id,
        prospect_id,
        exited_at,
        row_number() over (
            partition by campaign_id, prospect_id order by {{ latest_version_first() }}
        ) as version_rank
    from {{ ref('stg_recruiting__audience_memberships') }}
    where rejection_reason is null and {{ in_touched_campaigns() }}
)

select
    campaign_id,
    cast(count(*) as {{ dbt.type_bigint() }}) as prospects_entered,
    cast(sum(case when exited_at is not null then 1 else 0 end) as {{ dbt.type_bigint() }}) as prospects_exited,
    {{ built_at() }} as _built_at
    {{- campaign_partition_column() }}
from versions
where version_rank = 1
group by campaign_id
{{ campaign_order() }}
