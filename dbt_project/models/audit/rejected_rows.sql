-- The quarantine: every raw row that a model could not use, with its reason. The raw values
-- stay in raw.<table_name>, found by (source_file, source_row) or raw_row_id. A table rebuilt
-- each run: the facts' typed rows are stored (base_recruiting__email_*), so this is a filter
-- of them, not a parse; the dimension tables are small.
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
from {{ ref('base_recruiting__' ~ table) }}
where rejection_reason is not null
{% if not loop.last %}union all{% endif %}
{% endfor %}
