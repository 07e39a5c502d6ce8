{#-
  SPEC §3b: which opens are made by machines and which clicks by bots. The one place these
  rules are written; int_email_events_classified applies them to every open and click
  (int_click_bursts finds the bursts). The dbt vars that tune them are in dbt_project.yml.
-#}

{#- An open made by a machine: the email service says so (`machine_open`), or the user agent,
    trimmed, is exactly `Mozilla/5.0`: Apple's Mail Privacy Protection proxy fetches every
    email's images with that and nothing more (a real browser or mail client says more). -#}
{% macro is_provider_flagged_open(event) -%}
    ({{ event }}.event_type = 'opened' and coalesce({{ event }}.machine_open, false))
{%- endmacro %}

{% macro is_apple_proxy_open(event) -%}
    ({{ event }}.event_type = 'opened' and coalesce(trim({{ event }}.user_agent) = 'Mozilla/5.0', false))
{%- endmacro %}

{#- A click made by a bot (mail scanners: Microsoft Safe Links, Mimecast, Proofpoint, ...):
    (a) its user agent names automation; (b) it came too soon after the email was sent for a
    person to have read it; (c) it is part of a burst (int_click_bursts, computed per email). -#}
{% macro is_automation_click(event) -%}
    ({{ event }}.event_type = 'clicked' and (
        {%- for pattern in var('bot_user_agent_patterns') %}
        instr(lower(coalesce({{ event }}.user_agent, '')), '{{ pattern | lower | replace("'", "''") }}') > 0
        {{- " or" if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{% macro is_click_too_soon_after_sending(event) -%}
    ({{ event }}.event_type = 'clicked'
     and {{ seconds_between(event ~ '.sent_at', event ~ '.occurred_at') }} < {{ var('bot_click_within_seconds') | float }})
{%- endmacro %}

{#- Starts a new group of an email's clicks: the first click, or one that came more than the
    burst gap after the previous click. -#}
{% macro starts_click_group(previous_at, at) -%}
    case when {{ previous_at }} is null
              or {{ seconds_between(previous_at, at) }} > {{ var('bot_click_burst_gap_seconds') | float }}
         then 1 else 0 end
{%- endmacro %}

{#- Every event of a sent email, its opens and clicks classed by the rules above: the query of
    int_email_events_classified, which is this as it is. An incremental build of a per-email
    model classes the touched emails' events with it (`events`: int_email_events_touched;
    `where`, on email_id: which bursts to read; macros/incremental.sql). -#}
{% macro email_events_classified(events=none, where='true') -%}
with

events as (
    select * from {{ events if events is not none else ref('int_email_events_joined_to_sends') }}
),

bursts as (
    select event_id from {{ ref('int_click_bursts') }}
    where {{ where }}
),

rules as (
    select
        events.*,
        {{ is_provider_flagged_open('events') }} as by_provider_flag,
        {{ is_apple_proxy_open('events') }} as by_apple_proxy_user_agent,
        {{ is_automation_click('events') }} as by_automation_user_agent,
        {{ is_click_too_soon_after_sending('events') }} as too_soon_after_sending,
        bursts.event_id is not null as in_click_burst
    from events
    left join bursts
        on events.event_id = bursts.event_id
)

select
    event_id,
    email_id,
    campaign_id,
    message_id,
    prospect_id,
    event_type,
    occurred_at,
    bounce_type,
    link_id,
    url,
    by_provider_flag or by_apple_proxy_user_agent as is_machine_open,
    by_automation_user_agent or too_soon_after_sending or in_click_burst as is_bot_click,
    case
        when by_provider_flag then 'provider flag'
        when by_apple_proxy_user_agent then 'Apple proxy user agent'
        when by_automation_user_agent then 'automation user agent'
        when too_soon_after_sending then 'too soon after sending'
        when in_click_burst then 'click burst'
    end as machine_or_bot_reason
from rules
{%- endmacro %}

{#- Each event with its send: the query of int_email_events_joined_to_sends (which says what
    it does), which is this with no filter. int_email_events_touched reads the touched emails'
    events with it: `where` (on email_id) is applied to the events and the sends before the
    join, where a filter on the view would be applied after it. -#}
{% macro email_events_joined_to_sends(where='true') -%}
with

links_by_url as (
    select message_id, url, min(link_id) as link_id
    from {{ ref('int_message_links_current') }}
    where url is not null
    group by message_id, url
)

select
    events.event_id,
    events.email_id,
    sends.campaign_id,
    sends.message_id,
    sends.prospect_id,
    sends.sent_at,
    events.event_type,
    events.occurred_at,
    events.bounce_type,
    coalesce(events.link_id, links_by_url.link_id) as link_id,
    events.url,
    events.user_agent,
    events.machine_open,
    events._row_id as _event_row_id
from (select * from {{ ref('int_email_events_deduplicated') }} where {{ where }}) as events
inner join (select * from {{ ref('int_email_sends_deduplicated') }} where {{ where }}) as sends
    on events.email_id = sends.email_id
left join links_by_url
    on events.link_id is null
    and events.event_type = 'clicked'
    and links_by_url.message_id = sends.message_id
    and links_by_url.url = events.url
{%- endmacro %}
