{{ config(
    materialized='incremental', incremental_strategy='append', on_schema_change='fail',
    meta={'watermark': {'column': 'raw_row_id', 'per': 'table_name'}},
) }}
-- depends_on: {{ ref('build_state') }}
-- The quarantine: every raw row that a model could not use, with its reason. The raw values
-- stay in raw.<table_name>, found by (source_file, source_row) or raw_row_id. A raw row's
-- reason depends on that row alone, so a build appends the rejects among the rows that
-- arrived since the last one.
{% set keys = {
    'users': 'user_id',
    'campaigns': 'campaign_id',
    'campaign_messages': 'message_id',
    'message_links': 'link_id',
    'prospects': 'prospect_id',
    'audience_memberships': "campaign_id || '/' || prospect_id",
    'email_sends': 'email_id',
    'email_events': 'event_id',
} %}

{#- How far the facts were read: past the newest reject here, and past the newest staged row
    of the last completed build (which read every raw row up to its newest): a feed with few
    rejects is not typed again from its last reject on, every build. -#}
{% set previous = last_completed_build() if is_incremental() else none %}
{% set read_through = {
    'email_sends': previous['sends_through'] | int if previous else 0,
    'email_events': previous['events_through'] | int if previous else 0,
} %}

{% for table, key in keys.items() %}
select
    '{{ table }}' as table_name,
    {{ key }} as record_key,
    rejection_reason,
    _source_file as source_file,
    _source_row as source_row,
    _row_id as raw_row_id,
    _load_id as load_id,
    _loaded_at as loaded_at
from {{ ref('stg_recruiting__' ~ table) }}
where rejection_reason is not null
{% if is_incremental() %}
    and _row_id > {{ [watermark(table), read_through.get(table, 0)] | max }}
{% endif %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
