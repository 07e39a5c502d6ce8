{{ config(materialized=updated_in_place(), incremental_strategy='delete+insert', unique_key='prospect_id') }}
-- The current version of each prospect, kept like stg_recruiting__audience_memberships.
-- Personal data (email, names) stays in staging: no mart selects it.
{{ latest_versions_since_last_build(
    'base_recruiting__prospects', ['prospect_id'],
    ['prospect_id', 'email', 'first_name', 'last_name', 'updated_at']
) }}
