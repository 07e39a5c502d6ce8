{{ config(
    materialized='incremental', incremental_strategy='append', on_schema_change='fail',
    meta={'watermark': {'column': '_row_id'}},
) }}
-- depends_on: {{ ref('build_state') }}
-- Every raw audience_memberships row typed, with the reason it cannot be used (NULL when it
-- can). Which version of a membership is current is decided where it is counted
-- (int_audiences_counted). Appended with the raw rows loaded since the last build.
with

source as (
    {{ raw_rows_since_last_build('audience_memberships') }}
),

typed as (
    select
        {{ nullif_blank('campaign_id') }} as campaign_id,
        {{ nullif_blank('prospect_id') }} as prospect_id,
        {{ typed_timestamp('entered_at') }} as entered_at,
        {{ typed_timestamp('exited_at') }} as exited_at,
        {{ nullif_blank('exit_reason') }} as exit_reason,
        {{ typed_timestamp('updated_at') }} as updated_at,
        {{ nullif_blank('entered_at') }} as entered_at_text,
        {{ nullif_blank('exited_at') }} as exited_at_text,
        updated_at as updated_at_text,
        {{ lineage_columns() }}
    from source
)

select
    *,
    case
        {{ reject_if_missing('campaign_id') }}
        {{ reject_if_missing('prospect_id') }}
        {{ reject_if_unparsed('updated_at', 'updated_at_text') }}
        {{ reject_if_missing('updated_at') }}
        {{ reject_if_unparsed('entered_at', 'entered_at_text') }}
        {{ reject_if_unparsed('exited_at', 'exited_at_text') }}
    end as rejection_reason
from typed
