-- depends_on: {{ ref('int_emails_touched') }}
-- The events of the touched emails (int_emails_touched), each with its send: what the per-email
-- models of an incremental build count beside the campaigns they recount whole
-- (macros/incremental.sql, events_of_touched_emails). The query of
-- int_email_events_joined_to_sends, with the touched emails filtered before its join: read
-- once per build, where each model filtering the view would join every event to its send
-- first. Empty on Spark and on a full build (the models read the views there).
{%- set touched = 'false' if target.type != 'duckdb' or flags.FULL_REFRESH
    else "email_id in (select email_id from " ~ ref('int_emails_touched') ~ ")" %}
{{ email_events_joined_to_sends(touched) }}
