{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert', unique_key='table_name',
    meta={'watermark': {'column': 'last_raw_row_id', 'per': 'table_name'}},
) }}
-- depends_on: {{ ref('build_state') }}
-- Nothing lost, nothing counted twice: for each raw table, every raw row is exactly one of
--   accepted    used by the models (for events and sends: of an email that is counted)
--   superseded  an older version of a dimension row
--   duplicate   a repeated event or send (the first one received counts)
--   rejected    quarantined in audit.rejected_rows with its reason
--   waiting     an orphan: an event whose send, or a send whose message or campaign, is not
--               known yet; it is counted by the first build after what it names arrives
-- and raw_rows = accepted + superseded + duplicate + rejected + waiting (is_reconciled).
-- Dimensions: of the valid rows, one per key is current, the others superseded.
-- Facts (millions of rows), incrementally: the raw rows up to the last build's
-- last_raw_row_id were classified by it, and their buckets cannot change (a staged row stays
-- staged, a duplicate's key stays staged, a reject stays quarantined); only waiting orphans
-- can resolve, so waiting rows are counted afresh. A build adds the classes of the newer rows
-- to the stored counts.
{% set dimensions = {
    'users': 'user_id',
    'campaigns': 'campaign_id',
    'campaign_messages': 'message_id',
    'message_links': 'link_id',
    'prospects': 'prospect_id',
    'audience_memberships': 'campaign_id, prospect_id',
} %}
{% set facts = {'email_sends': 'email_id', 'email_events': 'event_id'} %}

with

raw_counts as (
    {% for table in dimensions.keys() | list + facts.keys() | list %}
    select '{{ table }}' as table_name, count(*) as raw_rows, max(_row_id) as last_raw_row_id
    from {{ source('recruiting', table) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

classified as (
    {% for table, key in dimensions.items() %}
    select '{{ table }}' as table_name, 'rejected' as row_status, count(*) as row_count
    from {{ ref('stg_recruiting__' ~ table) }}
    where rejection_reason is not null
    union all
    select '{{ table }}', bucket.row_status,
        case bucket.row_status when 'current' then counts.keys else counts.valid_rows - counts.keys end
    from (
        select coalesce(sum(versions), 0) as valid_rows, count(*) as keys
        from (
            select count(*) as versions from {{ ref('stg_recruiting__' ~ table) }}
            where rejection_reason is null
            group by {{ key }}
        ) as per_key
    ) as counts
    cross join (select 'current' as row_status union all select 'superseded') as bucket
    union all
    {% endfor %}

    -- Facts: rejected rows are those quarantined; current rows the staged ones. Every other
    -- typed row is valid: a duplicate when its key is staged (an earlier copy won), otherwise
    -- lost (counted apart, must be 0). One join of keys per table, over the rows past the last
    -- build's last_raw_row_id (all rows on a full build).
    {% for table, key in facts.items() %}
    {% set staged = 'int_' ~ table ~ '_deduplicated' %}
    {% set since = watermark(table) if is_incremental() else 0 %}
    select '{{ table }}' as table_name, 'rejected' as row_status, count(*) as row_count
    from {{ ref('rejected_rows') }}
    where table_name = '{{ table }}' and raw_row_id > {{ since }}
    union all
    select '{{ table }}', 'current', count(*) from {{ ref(staged) }} where _row_id > {{ since }}
    union all
    select
        '{{ table }}',
        bucket.row_status,
        case bucket.row_status
            when 'duplicate' then valid.with_staged_key
                - (select count(*) from {{ ref(staged) }} where _row_id > {{ since }})
            else valid.without_staged_key
        end
    from (
        select count(staged.{{ key }}) as with_staged_key, count(*) - count(staged.{{ key }}) as without_staged_key
        from {{ ref('stg_recruiting__' ~ table) }} as typed
        left join {{ ref(staged) }} as staged
            on typed.{{ key }} = staged.{{ key }}
        where typed.rejection_reason is null and typed._row_id > {{ since }}
    ) as valid
    cross join (select 'duplicate' as row_status union all select 'lost') as bucket
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

    {% if is_incremental() %}
    -- the counts of the facts' rows classified by earlier builds
    union all
    select table_name, 'rejected', rejected_rows from {{ this }} where table_name in ('email_sends', 'email_events')
    union all
    select table_name, 'current', accepted_rows + waiting_rows from {{ this }} where table_name in ('email_sends', 'email_events')
    union all
    select table_name, 'duplicate', duplicate_rows from {{ this }} where table_name in ('email_sends', 'email_events')
    union all
    select table_name, 'lost', lost_rows from {{ this }} where table_name in ('email_sends', 'email_events')
    {% endif %}
),

-- Staged facts not counted (yet): the staged sends that are not a counted email, and the
-- staged events that are not an event of one (int_emails_flagged counts each email's
-- events); no anti-join of history.
waiting as (
    select
        'email_sends' as table_name,
        (select count(*) from {{ ref('int_email_sends_deduplicated') }})
            - (select count(*) from {{ ref('int_emails_flagged') }}) as row_count
    union all
    select
        'email_events',
        (select count(*) from {{ ref('int_email_events_deduplicated') }})
            - (select coalesce(sum(events), 0) from {{ ref('int_emails_flagged') }})
),

per_table as (
    select
        raw_counts.table_name,
        raw_counts.raw_rows,
        raw_counts.last_raw_row_id,
        coalesce(sum(case when classified.row_status = 'current' then classified.row_count end), 0)
            - coalesce(max(waiting.row_count), 0) as accepted_rows,
        coalesce(sum(case when classified.row_status = 'superseded' then classified.row_count end), 0) as superseded_rows,
        coalesce(sum(case when classified.row_status = 'duplicate' then classified.row_count end), 0) as duplicate_rows,
        coalesce(sum(case when classified.row_status = 'rejected' then classified.row_count end), 0) as rejected_rows,
        coalesce(max(waiting.row_count), 0) as waiting_rows,
        coalesce(sum(case when classified.row_status = 'lost' then classified.row_count end), 0) as lost_rows
    from raw_counts
    left join classified
        on raw_counts.table_name = classified.table_name
    left join waiting
        on raw_counts.table_name = waiting.table_name
    group by raw_counts.table_name, raw_counts.raw_rows, raw_counts.last_raw_row_id
)

select
    table_name,
    cast(raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
    cast(last_raw_row_id as {{ dbt.type_bigint() }}) as last_raw_row_id,
    cast(accepted_rows as {{ dbt.type_bigint() }}) as accepted_rows,
    cast(superseded_rows as {{ dbt.type_bigint() }}) as superseded_rows,
    cast(duplicate_rows as {{ dbt.type_bigint() }}) as duplicate_rows,
    cast(rejected_rows as {{ dbt.type_bigint() }}) as rejected_rows,
    cast(waiting_rows as {{ dbt.type_bigint() }}) as waiting_rows,
    cast(lost_rows as {{ dbt.type_bigint() }}) as lost_rows,
    lost_rows = 0
        and raw_rows = accepted_rows + superseded_rows + duplicate_rows + rejected_rows + waiting_rows as is_reconciled
from per_table
