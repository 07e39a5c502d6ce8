{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- depends_on: {{ ref('int_email_events_deduplicated') }}
-- (Not an input: built after the events' de-duplication, never beside it. At 100M events each
-- one's grouping of every key takes most of an 8 GB memory_limit, and the two at once ran out
-- of it; alone, the events' took 7.4 GiB at peak.)
-- One row per email_id: the first valid copy received (the tool replicates some sends).
-- Appended by arrival: a send already here is a duplicate (macros/incremental.sql).
{{ first_copies_since_last_build(
    'stg_recruiting__email_sends', 'email_id',
    ['email_id', 'campaign_id', 'message_id', 'prospect_id', 'sent_at']
) }}
