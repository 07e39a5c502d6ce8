{%- set dimensions = ['campaigns', 'campaign_messages', 'message_links'] -%}
{{ config(
    materialized=updated_in_place(), incremental_strategy='append',
    pre_hook="{{ delete_touched_campaigns(" ~ dimensions ~ ", campaigns_with_rewritten_email_flags) }}",
) }}
-- SPEC §4's counts of each message's emails (macros/email_metrics.sql), from the email flags.
-- Kept per campaign: a build recounts the campaigns whose flags it rewrote (int_emails_flagged
-- rewrites an email when it or its events change); the metric marts read these few rows
-- instead of every email. Its dimensions are those of the flags: when they rebuild, so does it.
{% set rebuild = needs_full_rebuild(dimensions, is_incremental()) %}

select
    campaign_id,
    message_id,
    {{ count_emails() }},
    {{ built_at() }} as _built_at,
    (select max(_built_at) from {{ ref('int_emails_flagged') }}) as _flags_seen_through,
    {{ dimension_fingerprint_columns(dimensions) }}
from {{ ref('int_emails_flagged') }}
{% if not rebuild %}
where campaign_id in ({{ campaigns_with_rewritten_email_flags() }})
{% endif %}
group by campaign_id, message_id
