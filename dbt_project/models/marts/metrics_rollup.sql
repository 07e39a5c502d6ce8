-- SPEC §8: the counts and the 14 rates at named grains, for readers that cannot hold a
-- definition (a spreadsheet, a plain SQL client). Each group's rates are ratios of its
-- summed counts (macros/email_metrics.sql), from the additive fact email_counts_daily. The
-- dimension columns that are not part of a row's grain are NULL; within a grain, a NULL
-- language or owner is a group of its own.
{%- set grains = {
    'overall': [],
    'language': ['language'],
    'owner': ['owner_user_id'],
    'month': ['send_month'],
    'language_month': ['language', 'send_month'],
    'owner_month': ['owner_user_id', 'send_month'],
    'campaign_month': ['campaign_id', 'send_month'],
} %}
{%- set dimensions = {
    'campaign_id': dbt.type_string(),
    'language': dbt.type_string(),
    'owner_user_id': dbt.type_string(),
    'send_month': 'date',
} %}
with

daily as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'send_date') }} as date) as send_month
    from {{ ref('email_counts_daily') }}
),

rolled_up as (
    {%- for grain, columns in grains.items() %}
    select
        '{{ grain }}' as grain,
        {%- for dimension, type in dimensions.items() %}
        {{ dimension if dimension in columns else 'cast(null as ' ~ type ~ ')' }} as {{ dimension }},
        {%- endfor %}
        {{ sum_email_counts() }}
    from daily
    {%- if columns %}
    group by {{ columns | join(', ') }}
    {%- else %}
    having count(*) > 0
    {%- endif %}
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select
    *,
    {{ email_rates() }}
from rolled_up
