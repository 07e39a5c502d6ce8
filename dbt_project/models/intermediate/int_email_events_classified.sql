{{ config(materialized='view') }}
-- SPEC §3b: every event of a sent email, its opens and clicks classed as made by a person, a
-- machine (an open) or a bot (a click), with the rule that matched (macros/machines_and_bots.sql):
--   provider flag           the email service flagged the open (machine_open)
--   Apple proxy user agent  the open's user agent is exactly `Mozilla/5.0`
--   automation user agent   the click's user agent names automation (var bot_user_agent_patterns)
--   too soon after sending  the click came less than bot_click_within_seconds after sent_at
--   click burst             the click is part of a burst (int_click_bursts)
-- The email flags, link clicks and tracked opens read their events from here; data engineers
-- see why (audit.machine_and_bot_engagements). A view: every rule but the burst looks at the
-- event alone, and writing every open and click with its class cost more than its readers
-- spend classing what they read. Its query is macros/machines_and_bots.sql's
-- email_events_classified(): an incremental build of a per-email model reads the same query
-- with its touched emails filtered below the joins.
{{ email_events_classified() }}
