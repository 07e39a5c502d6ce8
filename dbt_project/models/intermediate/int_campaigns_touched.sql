-- depends_on: {{ ref('build_state') }}
-- depends_on: {{ ref('int_email_events_joined_to_sends') }}
-- depends_on: {{ ref('stg_recruiting__campaigns') }}
-- depends_on: {{ ref('stg_recruiting__campaign_messages') }}
-- depends_on: {{ ref('stg_recruiting__message_links') }}
-- The campaigns whose per-campaign models this build recomputes (models/intermediate/
-- per_campaign), each with the first reason it was touched for (in the order below), from
-- what changed since the last completed build (models/state/build_state.sql):
--   * new send: a new send (its campaign); an orphan event touches its campaign when its send
--     arrives, as a new send;
--   * new event: a new event of a known send (the send's campaign);
--   * campaign changed: a new version of a campaign (its end date decides its heatmap; it may
--     now exist);
--   * message changed: a new version of a message: every campaign any version of it named (it
--     may have moved away from one and into another: both recount their emails);
--   * link changed: a new version of a link: the campaigns with clicks on it (its placement
--     decides whether they count), and every campaign of any message any version of it
--     belonged to (a click without a link_id finds its link by url: int_email_events_joined_to_sends);
--   * audience changed: a new version of an audience membership: its campaign;
-- and every campaign on the first build ("first build") or a --full-refresh ("full refresh"), or when the viewer time zones or the
-- definitions' vars changed ("viewer zones changed", "definitions changed"). Touching a
-- campaign that did not change costs time, never correctness; missing one would leave it stale.
-- On Spark, where a build rewrites whole partitions of campaigns, also every other campaign of
-- a touched one's partition ("same partition": macros/incremental.sql).
-- whole_campaign: the per-email models recount it whole (a reason that changes what they
-- count: below, recounts_emails); otherwise they recount its touched emails
-- (int_emails_touched). The other per-campaign models recount every touched campaign whole,
-- and on Spark every model does.
{%- set previous = last_completed_build() %}

with

seen as (
    select * from {{ ref('int_inputs_seen') }}
),

every_campaign as (
    select campaign_id from {{ ref('int_email_sends_deduplicated') }}
    union
    select campaign_id from {{ ref('int_campaigns_current') }}
    union
    select campaign_id from {{ ref('stg_recruiting__audience_memberships') }}
    where rejection_reason is null
)

{% if previous is none or flags.FULL_REFRESH %}
,

touched as (
    select campaign_id, '{{ "full refresh" if flags.FULL_REFRESH else "first build" }}' as reason, true as whole_campaign
    from every_campaign
)

{% else %}
,

changed_campaigns as (
    select distinct campaign_id from {{ ref('stg_recruiting__campaigns') }}
    where _row_id > {{ previous['campaigns_through'] }} and campaign_id is not null
),

campaign_versions_since as (
    -- each changed campaign's current version at the last completed build (is_before), and
    -- every valid version since: a build that failed after it may have counted with any of them
    select campaign_id, ended_at, 1 as is_before
    from (
        select
            campaign_id,
            ended_at,
            row_number() over (partition by campaign_id order by {{ latest_version_first() }}) as version_rank
        from {{ ref('stg_recruiting__campaigns') }}
        where rejection_reason is null and _row_id <= {{ previous['campaigns_through'] }}
            and campaign_id in (select campaign_id from changed_campaigns)
    ) as ranked
    where version_rank = 1
    union all
    select campaign_id, ended_at, 0 as is_before from {{ ref('stg_recruiting__campaigns') }}
    where rejection_reason is null and _row_id > {{ previous['campaigns_through'] }}
),

counted_differently as (
    -- a known campaign whose emails may count differently now in the per-email models: unknown
    -- at the last completed build, or its versions since (the current one among them) differ
    -- in whether it has a heatmap (int_opens_tracked)
    select versions.campaign_id
    from campaign_versions_since as versions
    where versions.campaign_id in (select campaign_id from {{ ref('int_campaigns_current') }})
    group by versions.campaign_id
    having max(versions.is_before) = 0
        or min(case when {{ campaign_has_heatmap('versions') }} then 1 else 0 end)
           <> max(case when {{ campaign_has_heatmap('versions') }} then 1 else 0 end)
),

-- Each reason, and whether the per-email models must recount the campaign whole for it
-- (recounts_emails): new sends and events touch their emails only; a new membership nothing
-- they count; a new campaign version only when the campaign was unknown before (its emails
-- start to count) or its heatmap's existence (int_opens_tracked) differs between any version
-- since the last completed build and the current one; a message or a link always.
changed as (
    select campaign_id, 1 as rank, 'new send' as reason, false as recounts_emails
    from {{ ref('int_email_sends_deduplicated') }}
    where _row_id > {{ previous['sends_through'] }}
    union all
    select campaign_id, 2, 'new event', false from {{ ref('int_email_events_joined_to_sends') }}
    where _event_row_id > {{ previous['events_through'] }}
    union all
    select
        changed_campaigns.campaign_id,
        3,
        'campaign changed',
        changed_campaigns.campaign_id in (select campaign_id from counted_differently)
    from changed_campaigns
    union all
    select campaign_id, 4, 'message changed', true from {{ ref('stg_recruiting__campaign_messages') }}
    where campaign_id is not null and message_id in (
        select message_id from {{ ref('stg_recruiting__campaign_messages') }}
        where _row_id > {{ previous['messages_through'] }}
    )
    union all
    select campaign_id, 5, 'link changed', true from {{ ref('int_email_events_joined_to_sends') }}
    where event_type = 'clicked' and link_id in (
        select link_id from {{ ref('stg_recruiting__message_links') }}
        where _row_id > {{ previous['links_through'] }}
    )
    union all
    select campaign_id, 5, 'link changed', true from {{ ref('stg_recruiting__campaign_messages') }}
    where campaign_id is not null and message_id in (
        select message_id from {{ ref('stg_recruiting__message_links') }}
        where link_id in (
            select link_id from {{ ref('stg_recruiting__message_links') }}
            where _row_id > {{ previous['links_through'] }}
        )
    )
    union all
    select campaign_id, 6, 'audience changed', false from {{ ref('stg_recruiting__audience_memberships') }}
    where _row_id > {{ previous['memberships_through'] }} and campaign_id is not null
),

first_reason as (
    select
        campaign_id,
        min(rank) as rank,
        max(case when recounts_emails then 1 else 0 end) = 1 as whole_campaign
    from changed
    group by campaign_id
),

recompute_everything as (
    select
        case
            when viewer_timezones <> '{{ previous["viewer_timezones"] | replace("'", "''") }}'
                then 'viewer zones changed'
            when definitions <> '{{ previous["definitions"] | replace("'", "''") }}'
                then 'definitions changed'
        end as reason
    from seen
),

touched as (
    select campaign_id, (select reason from recompute_everything) as reason, true as whole_campaign
    from every_campaign
    where (select reason from recompute_everything) is not null
    union all
    select distinct changed.campaign_id, changed.reason, first_reason.whole_campaign
    from first_reason
    inner join changed on changed.campaign_id = first_reason.campaign_id and changed.rank = first_reason.rank
    where (select reason from recompute_everything) is null
)

{% endif %}

{{ with_whole_campaign_buckets('touched', 'every_campaign') }}
