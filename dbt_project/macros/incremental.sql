{#-
  Incremental facts read only what arrived since their last build. New facts are found by
  `_row_id` (the loader numbers raw rows in arrival order). A change in a dimension that the
  fact's rows depend on (a new campaign or message, a message moved, a link's url or
  placement changed) can touch any old row, so then the model rebuilds everything. A
  fingerprint of those dimension attributes, kept in the fact's rows, tells whether that
  happened; other dimension changes (a campaign's status, a subject line) do not matter here.
  Either way the result equals a full refresh.
-#}

{#- What of each dimension the facts depend on. -#}
{% macro dimension_fingerprint_sql(dimension) -%}
    {%- set keys = {
        'campaigns': ('stg_recruiting__campaigns', 'campaign_id'),
        'campaign_messages': ('stg_recruiting__campaign_messages', "message_id || '/' || campaign_id"),
        'message_links': ('stg_recruiting__message_links',
                          "link_id || '/' || coalesce(placement, '') || '/' || coalesce(url, '')"),
        'viewer_timezones': ('int_viewer_timezones', 'viewer_timezone'),
    }[dimension] -%}
    (select count(*) || ':' || coalesce(sum(cast(hash({{ keys[1] }}) % 1000000007 as bigint)), 0)
     from {{ ref(keys[0]) }})
{%- endmacro %}

{#- The fingerprints, stored in every row of the fact (constant columns). -#}
{% macro dimension_fingerprint_columns(dimensions) -%}
    {%- for d in dimensions %}
    {{ dimension_fingerprint_sql(d) }} as _dim_{{ d }}_fingerprint
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- True when the model must read everything: a full build, or a dimension changed since.
    The caller passes is_incremental() (evaluated in the model, where unit tests override it). -#}
{% macro needs_full_rebuild(dimensions, incremental) -%}
    {%- if not incremental -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set query -%}
        select
        {%- for d in dimensions %}
            {{ dimension_fingerprint_sql(d) }}
                is distinct from (select max(_dim_{{ d }}_fingerprint) from {{ this }})
            {{- " or" if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}

{#- The highest value of a column already in this model (the watermark of an input), as a
    literal: a constant filter lets the engine skip old row groups instead of reading them. -#}
{% macro watermark(column, where=none) -%}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set query -%}
        select coalesce(max({{ column }}), 0) from {{ this }} {% if where %}where {{ where }}{% endif %}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] | int) }}
{%- endmacro %}

{#- Facts delivered at least once, staged incrementally: from the raw rows past the watermark
    (valid ones only), the first copy of each key received, unless that key is staged already.
    A full build (no watermark, nothing staged) gives the first copy overall: the same rows. -#}
{% macro first_copies_since_last_build(base_model, key, columns) -%}
{%- set lookback = var('incremental_lookback_rows', 0) | int -%}
with

new_rows as (
    select * from {{ ref(base_model) }}
    where rejection_reason is null
    {% if is_incremental() %}
        {#- a subquery, not a literal watermark: unit tests give `this` as a fixture -#}
        and _row_id > (select coalesce(max(_row_id), 0) - {{ lookback }} from {{ this }})
    {% endif %}
),

first_copies as (
    select {{ key }}, min(_row_id) as first_row_id
    from new_rows
    group by {{ key }}
)

select
    {%- for column in columns %}
    new_rows.{{ column }},
    {%- endfor %}
    new_rows._row_id,
    new_rows._loaded_at,
    {{ built_at() }} as _built_at
from new_rows
inner join first_copies
    on new_rows._row_id = first_copies.first_row_id
{% if is_incremental() %}
left join {{ this }} as already_staged
    on new_rows.{{ key }} = already_staged.{{ key }}
where already_staged.{{ key }} is null
{% endif %}
{%- endmacro %}

{#- When a row was written: the start of the dbt run that wrote it, the same for every row of
    a build. Lets a test of an incremental table check just the rows its latest build added
    (tests/generic/unique_in_latest_build.sql). -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The large dimensions, staged incrementally: the current version of each key (the valid
    row that comes first by latest_version_first). A build re-ranks only the keys with raw
    rows since its last one: their staged version against their new rows; the winner
    replaces the key's row (delete+insert on the key). A full build ranks every row: the
    same result, since the staged version already beat all older rows of its key. -#}
{% macro latest_versions_since_last_build(base_model, key_columns, columns) -%}
{%- set lookback = var('incremental_lookback_rows', 0) | int -%}
with

new_rows as (
    select {{ columns | join(', ') }}, _row_id
    from {{ ref(base_model) }}
    where rejection_reason is null
    {% if is_incremental() %}
        {#- past the newest staged version (rows that lost since are re-ranked: harmless) -#}
        and _row_id > (select coalesce(max(_row_id), 0) - {{ lookback }} from {{ this }})
    {% endif %}
),

candidates as (
    select * from new_rows
    {% if is_incremental() %}
    union all
    select {% for column in columns %}staged.{{ column }}, {% endfor %}staged._row_id
    from {{ this }} as staged
    inner join (select distinct {{ key_columns | join(', ') }} from new_rows) as touched
        on {% for key in key_columns %}staged.{{ key }} = touched.{{ key }}{{ " and " if not loop.last }}{% endfor %}
    {% endif %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by {{ key_columns | join(', ') }} order by {{ latest_version_first() }}
        ) as version_rank
    from candidates
)

select {{ columns | join(', ') }}, _row_id, {{ built_at() }} as _built_at
from ranked
where version_rank = 1
{%- endmacro %}

{#- Pre-hook of the incremental facts: when a dimension change makes the model rebuild, empty
    it first, so that rows which no longer qualify (a message moved to another campaign, say)
    do not stay behind. Runs in the model's transaction. -#}
{% macro empty_if_rebuilding(dimensions) -%}
    {%- if is_incremental() and needs_full_rebuild(dimensions, true) -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The materialization of the facts updated in place (delete+insert of the touched emails).
    Spark without Delta or Iceberg cannot delete rows: there these facts are rebuilt each run
    from the staged facts, which stay incremental (append) on every engine. -#}
{% macro updated_in_place() -%}
    {{ return(adapter.dispatch('updated_in_place', 'campaign_dw')()) }}
{%- endmacro %}

{% macro default__updated_in_place() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__updated_in_place() -%}
    {{ return('table') }}
{%- endmacro %}

{#- Models kept per campaign (the tracked opens and the heatmaps): a build recomputes only the
    campaigns touched since its last one, i.e. those with
      - new events, or events that joined their email since (an orphan whose send arrived),
      - a new version of the campaign itself (a status or end date changed).
    Changes that can move rows between campaigns or touch every campaign (a message moved to
    another campaign, a new viewer time zone) rebuild the model (needs_full_rebuild).
    Each row keeps how far its build had seen (constant columns), the model's watermarks. -#}
{% macro seen_through_columns() -%}
    (select max(_event_row_id) from {{ ref('int_email_events_joined_to_emails') }}) as _events_seen_through,
    (select max(_send_row_id) from {{ ref('int_email_events_joined_to_emails') }}) as _sends_seen_through,
    (select max(_row_id) from {{ ref('stg_recruiting__campaigns') }}) as _campaigns_seen_through
{%- endmacro %}

{% macro campaigns_touched_since_last_build() -%}
    select campaign_id from {{ ref('int_email_events_joined_to_emails') }}
    where _event_row_id > {{ watermark('_events_seen_through') }}
        or _send_row_id > {{ watermark('_sends_seen_through') }}
    union
    select campaign_id from {{ ref('stg_recruiting__campaigns') }}
    where _row_id > {{ watermark('_campaigns_seen_through') }}
{%- endmacro %}

{#- The campaigns of the email flags written since this model's last build (the message
    counts are kept per campaign by these). -#}
{% macro campaigns_with_rewritten_email_flags() -%}
    select campaign_id from {{ ref('int_emails_flagged') }}
    where _built_at > (select max(_flags_seen_through) from {{ this }})
{%- endmacro %}

{#- Pre-hook of the per-campaign models: remove what is recomputed (the touched campaigns, or
    everything on a rebuild), so that a campaign left with no rows keeps none. The model then
    appends the recomputed campaigns. Runs in the model's transaction. `touched` is the macro
    that selects the model's touched campaigns. -#}
{% macro delete_touched_campaigns(dimensions, touched=campaigns_touched_since_last_build) -%}
    {%- if not is_incremental() -%}
        select 1
    {%- elif needs_full_rebuild(dimensions, true) -%}
        delete from {{ this }}
    {%- else -%}
        delete from {{ this }} where campaign_id in ({{ touched() }})
    {%- endif -%}
{%- endmacro %}
