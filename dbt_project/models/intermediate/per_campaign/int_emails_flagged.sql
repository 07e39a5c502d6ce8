-- depends_on: {{ ref('int_campaigns_touched') }}
-- depends_on: {{ ref('int_emails_touched') }}
-- depends_on: {{ ref('int_email_events_touched') }}
-- depends_on: {{ ref('int_click_bursts') }}
{{ config(
    touched_key=['email_id'],
    pre_hook="{{ drop_columns_no_longer_kept(['prospect_id', 'sent_at']) }}",
) }}
-- SPEC §3, the email-level definitions: one row per email that is counted, with its was_*
-- flags, and SPEC §3b's flags for people (opens by machines and clicks by bots left out,
-- int_email_events_classified). Every count of the metric marts counts these flags
-- (macros/email_metrics.sql).
-- An email is counted once its message is a current message of its campaign and the
-- campaign is known; until then it waits (audit.raw_row_reconciliation), so a campaign's
-- counts always equal the sum of its messages'. Replaced per touched email (macros/incremental.sql),
-- with what the counts group by: the message and the UTC date the email was sent (SPEC §8:
-- an email's events count on its send date); its prospect and send time are the send's
-- (int_email_sends_deduplicated).
with

sends as (
    select email_id, campaign_id, message_id, cast(sent_at as date) as send_date
    from {{ ref('int_email_sends_deduplicated') }}
    where {{ in_touched_emails() }}
),

messages as (
    select message_id, campaign_id from {{ ref('int_campaign_messages_current') }}
),

campaigns as (
    select campaign_id from {{ ref('int_campaigns_current') }}
),

emails as (
    select sends.*
    from sends
    inner join messages
        on sends.message_id = messages.message_id
        and sends.campaign_id = messages.campaign_id
    inner join campaigns
        on sends.campaign_id = campaigns.campaign_id
),

links as (
    select link_id, placement from {{ ref('int_message_links_current') }}
),

events as (
    select
        events.email_id,
        events.event_type,
        events.bounce_type,
        -- clicked (SPEC §3): a click on a link that is not in the footer; a link unknown to
        -- message_links, or no link_id at all, counts as a body link.
        events.event_type = 'clicked' and coalesce(links.placement, 'body') <> 'footer' as is_counted_click,
        coalesce(events.is_machine_open, false) as is_machine_open,
        coalesce(events.is_bot_click, false) as is_bot_click
    from {{ events_of_touched_emails() }} as events
    left join links
        on events.link_id = links.link_id
),

events_per_email as (
    select
        email_id,
        max(case when event_type = 'delivered' then 1 else 0 end) = 1 as has_delivered_event,
        max(case when event_type in ('opened', 'clicked', 'replied', 'unsubscribed', 'spam_reported')
                 then 1 else 0 end) = 1 as has_engagement_event,
        max(case when event_type = 'bounced' then 1 else 0 end) = 1 as has_bounce_event,
        max(case when event_type = 'bounced' and bounce_type = 'hard' then 1 else 0 end) = 1 as has_hard_bounce_event,
        max(case when event_type = 'opened' then 1 else 0 end) = 1 as has_open_event,
        max(case when is_counted_click then 1 else 0 end) = 1 as has_counted_click,
        max(case when event_type = 'replied' then 1 else 0 end) = 1 as has_reply_event,
        max(case when event_type = 'unsubscribed' then 1 else 0 end) = 1 as has_unsubscribe_event,
        max(case when event_type = 'spam_reported' then 1 else 0 end) = 1 as has_spam_report_event,
        sum(case when event_type = 'opened' then 1 else 0 end) as open_events,
        sum(case when is_counted_click then 1 else 0 end) as counted_click_events,
        -- SPEC §3b: the same, made by people
        max(case when event_type = 'opened' and not is_machine_open then 1 else 0 end) = 1 as has_person_open,
        max(case when is_counted_click and not is_bot_click then 1 else 0 end) = 1 as has_person_counted_click,
        sum(case when event_type = 'opened' and is_machine_open then 1 else 0 end) as machine_open_events,
        sum(case when event_type = 'clicked' and is_bot_click then 1 else 0 end) as bot_click_events,
        count(*) as events
    from events
    group by email_id
),

flags as (
    select
        emails.email_id,
        emails.campaign_id,
        emails.message_id,
        emails.send_date,
        -- delivered: a delivered event, or any engagement event (engagement proves delivery;
        -- a soft bounce followed by a delivery is delivered).
        coalesce(e.has_delivered_event or e.has_engagement_event, false) as was_delivered,
        coalesce(e.has_bounce_event, false) as has_bounce_event,
        coalesce(e.has_hard_bounce_event, false) as has_hard_bounce_event,
        -- clicked: a click on a link that is not in the footer.
        coalesce(e.has_counted_click, false) as was_clicked,
        -- opened: an open event, or clicked (a click proves the open when images were blocked).
        coalesce(e.has_open_event or e.has_counted_click, false) as was_opened,
        coalesce(e.has_reply_event, false) as was_replied,
        coalesce(e.has_unsubscribe_event, false) as was_unsubscribed,
        coalesce(e.has_spam_report_event, false) as was_marked_spam,
        -- opened by a person: a person's open, or a person's click on a non-footer link.
        coalesce(e.has_person_open or e.has_person_counted_click, false) as was_opened_by_people,
        -- clicked by a person: a person's click on a non-footer link.
        coalesce(e.has_person_counted_click, false) as was_clicked_by_people,
        coalesce(e.open_events, 0) as open_events,
        coalesce(e.counted_click_events, 0) as counted_click_events,
        coalesce(e.machine_open_events, 0) as machine_open_events,
        coalesce(e.bot_click_events, 0) as bot_click_events,
        coalesce(e.events, 0) as events
    from emails
    left join events_per_email as e
        on emails.email_id = e.email_id
)

select
    email_id,
    campaign_id,
    message_id,
    send_date,
    was_delivered,
    -- bounced: a bounce event and not delivered.
    (has_bounce_event and not was_delivered) as was_bounced,
    -- hard bounced: bounced, and at least one of its bounce events is hard.
    (has_bounce_event and not was_delivered and has_hard_bounce_event) as was_hard_bounced,
    -- soft bounced: bounced and not hard bounced (a bounce without bounce_type is soft).
    (has_bounce_event and not was_delivered and not has_hard_bounce_event) as was_soft_bounced,
    was_opened,
    was_clicked,
    was_replied,
    was_unsubscribed,
    was_marked_spam,
    was_opened_by_people,
    was_clicked_by_people,
    cast(open_events as {{ dbt.type_bigint() }}) as open_events,
    cast(counted_click_events as {{ dbt.type_bigint() }}) as counted_click_events,
    cast(machine_open_events as {{ dbt.type_bigint() }}) as machine_open_events,
    cast(bot_click_events as {{ dbt.type_bigint() }}) as bot_click_events,
    cast(events as {{ dbt.type_bigint() }}) as events,
    {{ built_at() }} as _built_at
    {{- campaign_partition_column() }}
from flags
{{ campaign_order(['campaign_id', 'message_id', 'send_date']) }}
