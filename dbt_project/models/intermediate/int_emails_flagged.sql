{% set dimensions = ['campaigns', 'campaign_messages', 'message_links'] %}
{{ config(
    materialized=updated_in_place(), incremental_strategy='delete+insert', unique_key='email_id',
    pre_hook="{{ empty_if_rebuilding(" ~ dimensions ~ ") }}",
) }}
-- SPEC §3, the email-level definitions: one row per email with its was_* flags. Every
-- count in the metric marts is a count of these flags (see macros/email_metrics.sql).
-- Incremental: only emails that are new or have new events are (re)computed.
{% set rebuild = needs_full_rebuild(dimensions, is_incremental()) %}

with

{% if not rebuild %}
touched_emails as (
    select email_id from {{ ref('int_emails_joined_to_messages') }}
    where _send_row_id > {{ watermark('_send_row_id') }}
    union
    select email_id from {{ ref('int_email_events_joined_to_emails') }}
    where _event_row_id > {{ watermark('_last_event_row_id') }}
),
{% endif %}

emails as (
    select * from {{ ref('int_emails_joined_to_messages') }}
    {% if not rebuild %}where email_id in (select email_id from touched_emails){% endif %}
),

events as (
    select * from {{ ref('int_email_events_joined_to_emails') }}
    {% if not rebuild %}where email_id in (select email_id from touched_emails){% endif %}
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
        max(_event_row_id) as last_event_row_id
    from events
    group by email_id
),

flags as (
    select
        emails.email_id,
        emails.campaign_id,
        emails.message_id,
        emails.prospect_id,
        emails.sent_at,
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
        cast(coalesce(e.open_events, 0) as {{ dbt.type_bigint() }}) as open_events,
        cast(coalesce(e.counted_click_events, 0) as {{ dbt.type_bigint() }}) as counted_click_events,
        emails._send_row_id,
        coalesce(e.last_event_row_id, 0) as _last_event_row_id
    from emails
    left join events_per_email as e
        on emails.email_id = e.email_id
)

select
    email_id,
    campaign_id,
    message_id,
    prospect_id,
    sent_at,
    was_delivered,
    -- bounced: a bounce event and not delivered.
    (has_bounce_event and not was_delivered) as was_bounced,
    -- hard bounced: bounced, and at least one of its bounce events is hard.
    (has_bounce_event and not was_delivered and has_hard_bounce_event) as was_hard_bounced,
    -- soft bounced: bounced and not hard bounced.
    (has_bounce_event and not was_delivered and not has_hard_bounce_event) as was_soft_bounced,
    was_opened,
    was_clicked,
    was_replied,
    was_unsubscribed,
    was_marked_spam,
    open_events,
    counted_click_events,
    _send_row_id,
    _last_event_row_id,
    {{ built_at() }} as _built_at,
    {{ dimension_fingerprint_columns(dimensions) }}
from flags
