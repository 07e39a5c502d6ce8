-- The current version of each tracked link (the latest updated_at wins, then the latest
-- arrival). Its url, anchor text and placement are what the marts show and count by.
with

versions as (
    {{ latest_version_of_each('stg_recruiting__message_links', ['link_id']) }}
)

select
    link_id,
    message_id,
    url,
    placement,
    anchor_text,
    updated_at
from versions
