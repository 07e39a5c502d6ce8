{{ config(materialized='view') }}
-- Each de-duplicated event whose send is known, with the send's campaign, message, prospect
-- and sent_at. An event whose send has not arrived is an orphan: it waits in
-- int_email_events_deduplicated and joins on the first build after its send arrives.
-- A click without a link_id (an email service's webhook carries the url only) takes the link
-- of its email's message with the same url, the first by link_id when several share it (SPEC
-- §2); otherwise it stays an unknown link. Which messages, campaigns and links count is
-- otherwise resolved where events are counted; a new version of a link touches every campaign
-- of its message (int_campaigns_touched), whose clicks may now resolve differently.
-- A view: its readers filter by campaign or by arrival, and a stored copy of every event
-- cost as much to write as a join costs each reader, and the warehouse's largest table. Its
-- query is macros/machines_and_bots.sql's email_events_joined_to_sends(): an incremental
-- build of a per-email model reads it with its touched emails filtered before the join.
{{ email_events_joined_to_sends() }}
