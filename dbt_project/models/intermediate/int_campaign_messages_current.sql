-- The current version of each message of a sequence (the latest updated_at wins, then the
-- latest arrival). A message moved to another campaign belongs to the new one.
with

versions as (
    {{ latest_version_of_each('stg_recruiting__campaign_messages', ['message_id']) }}
)

select
    message_id,
    campaign_id,
    step_number,
    subject,
    body_html,
    wait_days,
    updated_at
from versions
