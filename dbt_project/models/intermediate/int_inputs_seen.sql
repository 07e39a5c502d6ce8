-- What this build read, one row: how far each input of the per-campaign models had arrived
-- (the newest `_row_id` of the staged sends, events and dimension rows), the viewer time
-- zones, and the definitions' dbt vars. At the end of a run whose per-campaign models all
-- succeeded, this row is copied into intermediate.completed_builds (macros/incremental.sql),
-- which the next build's int_campaigns_touched compares with.
select
    {{ built_at() }} as built_at,
    (select coalesce(max(_row_id), 0) from {{ ref('int_email_sends_deduplicated') }}) as sends_through,
    (select coalesce(max(_row_id), 0) from {{ ref('int_email_events_deduplicated') }}) as events_through,
    (select coalesce(max(_row_id), 0) from {{ ref('stg_recruiting__campaigns') }}) as campaigns_through,
    (select coalesce(max(_row_id), 0) from {{ ref('stg_recruiting__campaign_messages') }}) as messages_through,
    (select coalesce(max(_row_id), 0) from {{ ref('stg_recruiting__message_links') }}) as links_through,
    (select coalesce(max(_row_id), 0) from {{ ref('stg_recruiting__audience_memberships') }}) as memberships_through,
    (select {{ sorted_distinct_list('viewer_timezone') }} from {{ ref('int_viewer_timezones') }}) as viewer_timezones,
    '{{ definitions_in_use() }}' as definitions
