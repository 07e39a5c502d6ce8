-- depends_on: {{ ref('int_email_events_joined_to_sends') }}
-- depends_on: {{ ref('stg_recruiting__campaigns') }}
-- depends_on: {{ ref('stg_recruiting__campaign_messages') }}
-- depends_on: {{ ref('stg_recruiting__message_links') }}
-- The campaigns whose per-campaign models this build recomputes (models/intermediate/
-- per_campaign): those whose inputs changed since the last completed build
-- (intermediate.completed_builds, see macros/incremental.sql):
--   * a new send (its campaign), or a new event of a known send (the send's campaign); an
--     orphan event touches its campaign when its send arrives, as a new send;
--   * a new version of a campaign (its end date decides its heatmap; it may now exist);
--   * a new version of a message: every campaign any version of it named (it may have moved
--     away from one and into another: both recount their emails);
--   * a new version of a link: the campaigns with clicks on it (its placement decides
--     whether they count);
--   * a new version of an audience membership: its campaign;
-- and every campaign when there is no completed build yet, or the viewer time zones or the
-- definitions' vars changed. Touching a campaign that did not change costs time, never
-- correctness; missing one would leave it stale.
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

{% if previous is none %}

select campaign_id from every_campaign

{% else %}
,

changed as (
    select campaign_id from {{ ref('int_email_sends_deduplicated') }}
    where _row_id > {{ previous['sends_through'] }}
    union
    select campaign_id from {{ ref('int_email_events_joined_to_sends') }}
    where _event_row_id > {{ previous['events_through'] }}
    union
    select campaign_id from {{ ref('stg_recruiting__campaigns') }}
    where _row_id > {{ previous['campaigns_through'] }} and campaign_id is not null
    union
    select campaign_id from {{ ref('stg_recruiting__campaign_messages') }}
    where campaign_id is not null and message_id in (
        select message_id from {{ ref('stg_recruiting__campaign_messages') }}
        where _row_id > {{ previous['messages_through'] }}
    )
    union
    select campaign_id from {{ ref('int_email_events_joined_to_sends') }}
    where event_type = 'clicked' and link_id in (
        select link_id from {{ ref('stg_recruiting__message_links') }}
        where _row_id > {{ previous['links_through'] }}
    )
    union
    select campaign_id from {{ ref('stg_recruiting__audience_memberships') }}
    where _row_id > {{ previous['memberships_through'] }} and campaign_id is not null
),

recompute_everything as (
    select
        viewer_timezones <> '{{ previous["viewer_timezones"] | replace("'", "''") }}'
        or definitions <> '{{ previous["definitions"] | replace("'", "''") }}' as yes
    from seen
)

select campaign_id from every_campaign
where (select yes from recompute_everything)
union
select campaign_id from changed
where not (select yes from recompute_everything)

{% endif %}
