{% set dimensions = ['campaign_messages'] %}
{{ config(
    materialized=updated_in_place(), incremental_strategy='append',
    pre_hook="{{ delete_touched_campaigns(" ~ dimensions ~ ") }}",
) }}
-- The opens the heatmap counts (SPEC §5): `opened` events only (not opens implied by clicks),
-- by the history of open tracking:
--   * before first_opens_tracked_since nothing was recorded;
--   * from first_opens_tracked_since only each email's first open was recorded, so only
--     first opens count;
--   * from all_opens_tracked_since every open counts.
-- A campaign that ended before first_opens_tracked_since has no heatmap at all.
-- Incremental: only the campaigns touched since the last build are recomputed
-- (macros/incremental.sql).
{% set rebuild = needs_full_rebuild(dimensions, is_incremental()) %}

with

opens as (
    select event_id, email_id, campaign_id, message_id, prospect_id, occurred_at
    from {{ ref('int_email_events_joined_to_emails') }}
    where event_type = 'opened'
    {% if not rebuild %}
        and campaign_id in ({{ campaigns_touched_since_last_build() }})
    {% endif %}
),

campaigns as (
    select campaign_id, ended_at from {{ ref('stg_recruiting__campaigns') }}
),

ranked as (
    select
        opens.*,
        row_number() over (partition by email_id order by occurred_at, event_id) = 1 as is_first_open
    from opens
)

select
    ranked.event_id,
    ranked.email_id,
    ranked.campaign_id,
    ranked.message_id,
    ranked.prospect_id,
    ranked.occurred_at,
    {{ quarter_hour('ranked.occurred_at') }} as opened_quarter_hour,
    ranked.is_first_open,
    {{ built_at() }} as _built_at,
    {{ seen_through_columns() }},
    {{ dimension_fingerprint_columns(dimensions) }}
from ranked
inner join campaigns
    on ranked.campaign_id = campaigns.campaign_id
where
    (campaigns.ended_at is null or campaigns.ended_at >= {{ tracking_date('first_opens_tracked_since') }})
    and (
        ranked.occurred_at >= {{ tracking_date('all_opens_tracked_since') }}
        or (ranked.occurred_at >= {{ tracking_date('first_opens_tracked_since') }} and ranked.is_first_open)
    )
