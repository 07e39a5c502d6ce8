{{ config(
    materialized=updated_in_place(), incremental_strategy='delete+insert',
    unique_key=['campaign_id', 'prospect_id'],
) }}
-- The current version of each audience membership (the latest updated_at wins, then the
-- latest arrival). Incremental: only memberships with new raw rows are re-ranked
-- (macros/incremental.sql).
{{ latest_versions_since_last_build(
    'base_recruiting__audience_memberships', ['campaign_id', 'prospect_id'],
    ['campaign_id', 'prospect_id', 'entered_at', 'exited_at', 'exit_reason', 'updated_at']
) }}
