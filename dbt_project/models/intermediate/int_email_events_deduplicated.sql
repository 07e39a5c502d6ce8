{{ config(
    materialized='incremental', incremental_strategy='append', on_schema_change='fail',
    pre_hook="{{ drop_columns_no_longer_kept(['received_at']) }}",
) }}
-- One row per event_id: the first valid copy received (at-least-once delivery). Appended by
-- arrival: an event already here is a duplicate (macros/incremental.sql). Only what the
-- models count with (received_at stays in staging and raw, by _row_id).
{{ first_copies_since_last_build(
    'stg_recruiting__email_events', 'event_id',
    ['event_id', 'email_id', 'event_type', 'occurred_at', 'bounce_type', 'link_id', 'url', 'user_agent',
     'machine_open']
) }}
