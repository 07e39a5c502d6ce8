{% set dimensions = ['campaigns', 'campaign_messages'] %}
{#- Appended: a new staged send is a new email (staging keeps one row per email_id), so no
    row is ever replaced; a new message or campaign rebuilds it (empty_if_rebuilding). -#}
{{ config(
    materialized=updated_in_place(), incremental_strategy='append',
    pre_hook="{{ empty_if_rebuilding(" ~ dimensions ~ ") }}",
) }}
-- One row per email sent (de-duplicated), kept only once its message and campaign are known:
-- an email of an unknown message waits (see audit.raw_row_reconciliation), so that a
-- campaign's counts always equal the sum of its messages' counts.
{% set rebuild = needs_full_rebuild(dimensions, is_incremental()) %}

with

sends as (
    select * from {{ ref('stg_recruiting__email_sends') }}
    {% if not rebuild %}
    where _row_id > {{ watermark('_send_row_id') }}
    {% endif %}
),

messages as (
    select message_id, campaign_id, step_number from {{ ref('stg_recruiting__campaign_messages') }}
),

campaigns as (
    select campaign_id from {{ ref('stg_recruiting__campaigns') }}
)

select
    sends.email_id,
    sends.campaign_id,
    sends.message_id,
    messages.step_number,
    sends.prospect_id,
    sends.sent_at,
    sends._row_id as _send_row_id,
    {{ built_at() }} as _built_at,
    {{ dimension_fingerprint_columns(dimensions) }}
from sends
inner join messages
    on sends.message_id = messages.message_id
    and sends.campaign_id = messages.campaign_id
inner join campaigns
    on sends.campaign_id = campaigns.campaign_id
