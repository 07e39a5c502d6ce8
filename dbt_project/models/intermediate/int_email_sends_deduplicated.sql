{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- One row per email_id: the first valid copy received (the tool replicates some sends).
-- Appended by arrival: a send already here is a duplicate (macros/incremental.sql).
{{ first_copies_since_last_build(
    'stg_recruiting__email_sends', 'email_id',
    ['email_id', 'campaign_id', 'message_id', 'prospect_id', 'sent_at']
) }}
