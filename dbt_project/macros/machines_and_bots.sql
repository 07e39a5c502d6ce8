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
