-- depends_on: {{ ref('int_campaigns_touched') }}
-- depends_on: {{ ref('int_emails_touched') }}
-- depends_on: {{ ref('int_email_events_touched') }}
-- depends_on: {{ ref('int_click_bursts') }}
-- depends_on: {{ ref('int_opens_replaced') }}
{{ config(
    touched_key=['campaign_id', 'message_id', 'prospect_id'],
    pre_hook="{{ drop_columns_no_longer_kept(['email_id', 'occurred_at']) }}",
) }}
-- The opens the heatmap counts (SPEC §5): `opened` events of counted emails (not opens
-- implied by clicks; machines' opens included, flagged by is_person_open), by the history of
-- open tracking:
--   * before first_opens_tracked_since nothing was recorded;
--   * from first_opens_tracked_since only each email's first open was recorded, so only
--     first opens count;
--   * from all_opens_tracked_since every open counts.
-- A campaign that ended before first_opens_tracked_since has no heatmap at all.
-- Replaced per touched (campaign, message, prospect) (macros/incremental.sql), with what the heatmaps count by: the open's
-- email and time are the event's (int_email_events_deduplicated, by event_id).
with

counted_emails as (
    select email_id from {{ ref('int_emails_flagged') }}
    where {{ in_touched_emails() }}
),

opens as (
    select
        opens.event_id, opens.email_id, opens.campaign_id, opens.message_id, opens.prospect_id, opens.occurred_at,
        opens.is_machine_open
    from {{ events_of_touched_emails() }} as opens
    inner join counted_emails
        on opens.email_id = counted_emails.email_id
    where opens.event_type = 'opened'
),

campaigns as (
    select campaign_id, ended_at from {{ ref('int_campaigns_current') }}
),

ranked as (
    select
        opens.*,
        row_number() over (partition by email_id order by occurred_at, event_id) = 1 as is_first_open
    from opens
)

select
    ranked.event_id,
    ranked.campaign_id,
    ranked.message_id,
    ranked.prospect_id,
    {{ quarter_hour('ranked.occurred_at') }} as opened_quarter_hour,
    ranked.is_first_open,
    -- SPEC §3b: a person's open (not a machine's); the heatmap's cells count both.
    not ranked.is_machine_open as is_person_open,
    {{ built_at() }} as _built_at
    {{- campaign_partition_column('ranked.campaign_id') }}
from ranked
inner join campaigns
    on ranked.campaign_id = campaigns.campaign_id
where
    {{ campaign_has_heatmap('campaigns') }}
    and (
        ranked.occurred_at >= {{ tracking_date('all_opens_tracked_since') }}
        or (ranked.occurred_at >= {{ tracking_date('first_opens_tracked_since') }} and ranked.is_first_open)
    )
{{ campaign_order(['ranked.campaign_id', 'ranked.message_id']) }}
