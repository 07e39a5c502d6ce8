-- depends_on: {{ ref('int_emails_touched') }}
-- The tracked opens this build replaces, as they were before it: the rows of
-- int_opens_tracked of every touched email's (campaign, message, prospect)
-- (int_emails_touched), read before int_opens_tracked replaces them (it depends on this
-- model). The heatmap cells are kept by difference with them (macros/heatmap_cells.sql).
-- Read by name, not by ref: int_opens_tracked is built after this model. Empty when there is
-- nothing to replace: a first build, a --full-refresh, Spark.
{%- set opens = adapter.get_relation(this.database, this.schema, 'int_opens_tracked') if execute else none %}

{%- if opens is none or flags.FULL_REFRESH or target.type != 'duckdb' %}

select
    cast(null as {{ dbt.type_string() }}) as campaign_id,
    cast(null as {{ dbt.type_string() }}) as message_id,
    cast(null as {{ dbt.type_string() }}) as prospect_id,
    cast(null as {{ dbt.type_timestamp() }}) as opened_quarter_hour,
    cast(null as boolean) as is_person_open
from {{ ref('int_emails_touched') }}
where false

{%- else %}

select campaign_id, message_id, prospect_id, opened_quarter_hour, is_person_open
from {{ opens }}
where (campaign_id, message_id, prospect_id) in (
    select campaign_id, message_id, prospect_id from {{ ref('int_emails_touched') }}
)

{%- endif %}
