{{ config(materialized='view') }}
-- For data engineers (SPEC §3b): every open made by a machine and every click made by a bot,
-- with the rule that matched (int_email_events_classified). Not a mart: the marts carry
-- the figures for people beside the others.
select
    event_id,
    email_id,
    campaign_id,
    message_id,
    event_type,
    occurred_at,
    link_id,
    machine_or_bot_reason
from {{ ref('int_email_events_classified') }}
where is_machine_open or is_bot_click
