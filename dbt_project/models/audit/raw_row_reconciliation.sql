{{ config(materialized=updated_in_place(), incremental_strategy='delete+insert', unique_key='table_name') }}
-- Nothing lost, nothing counted twice: for each raw table, every raw row is exactly one of
--   accepted    used by the models (for events and sends: joined to a known email/message)
--   superseded  an older version of a dimension row
--   duplicate   a repeated event or send (the first one received counts)
--   rejected    quarantined in audit.rejected_rows with its reason
--   waiting     an orphan: an event whose email, or a send whose message, is not known yet;
--               it is counted by the first build after it arrives
-- and raw_rows = accepted + superseded + duplicate + rejected + waiting (is_reconciled).
-- Incremental for the facts: the raw rows up to last_raw_row_id were classified by the last
-- build, and their buckets cannot change (a staged row stays staged, a duplicate's key stays
-- staged, a reject stays quarantined); only waiting orphans can resolve, so waiting rows are
-- counted afresh. A build adds the classes of the newer rows to the stored counts.
{% set tables = ['users', 'campaigns', 'campaign_messages', 'message_links', 'prospects',
                 'audience_memberships', 'email_sends', 'email_events'] %}
{% set kept_dimensions = {'audience_memberships': 'campaign_id, prospect_id', 'prospects': 'prospect_id'} %}

with

raw_counts as (
    {% for table in tables %}
    select '{{ table }}' as table_name, count(*) as raw_rows, max(_row_id) as last_raw_row_id
    from {{ source('recruiting', table) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

classified as (
    -- Small dimensions: each typed row carries its class.
    {% for table in tables if table not in kept_dimensions and table not in ('email_sends', 'email_events') %}
    select '{{ table }}' as table_name, row_status, count(*) as row_count
    from {{ ref('base_recruiting__' ~ table) }}
    group by row_status
    union all
    {% endfor %}

    -- Large dimensions (staged incrementally): of the valid rows, one per key is current and
    -- the others superseded; a key that is not staged is lost (counted apart, must be 0).
    {% for table, key in kept_dimensions.items() %}
    select '{{ table }}' as table_name, 'rejected' as row_status, count(*) as row_count
    from {{ ref('base_recruiting__' ~ table) }}
    where rejection_reason is not null
    union all
    select '{{ table }}', bucket.row_status,
        case bucket.row_status
            when 'current' then counts.staged
            when 'superseded' then counts.valid_rows - counts.keys
            else counts.keys - counts.staged
        end
    from (
        select
            sum(versions) as valid_rows,
            count(*) as keys,
            (select count(*) from {{ ref('stg_recruiting__' ~ table) }}) as staged
        from (
            select count(*) as versions from {{ ref('base_recruiting__' ~ table) }}
            where rejection_reason is null
            group by {{ key }}
        ) as per_key
    ) as counts
    cross join (
        select 'current' as row_status union all select 'superseded' union all select 'lost'
    ) as bucket
    union all
    {% endfor %}

    -- Facts (millions of rows): rejected rows are those quarantined; current rows the staged
    -- ones. Every other typed row is valid: a duplicate when its key is staged (an earlier copy
    -- won), otherwise lost (counted apart, must be 0). One join of keys per table, over the
    -- rows past the last build's last_raw_row_id (all rows on a full build).
    {% for table, key in [('email_sends', 'email_id'), ('email_events', 'event_id')] %}
    {% set since = watermark('last_raw_row_id', "table_name = '" ~ table ~ "'") if is_incremental() else 0 %}
    select '{{ table }}' as table_name, 'rejected' as row_status, count(*) as row_count
    from {{ ref('rejected_rows') }}
    where table_name = '{{ table }}' and raw_row_id > {{ since }}
    union all
    select '{{ table }}', 'current', count(*) from {{ ref('stg_recruiting__' ~ table) }} where _row_id > {{ since }}
    union all
    select
        '{{ table }}',
        bucket.row_status,
        case bucket.row_status
            when 'duplicate' then valid.with_staged_key
                - (select count(*) from {{ ref('stg_recruiting__' ~ table) }} where _row_id > {{ since }})
            else valid.without_staged_key
        end
    from (
        select count(staged.{{ key }}) as with_staged_key, count(*) - count(staged.{{ key }}) as without_staged_key
        from {{ ref('base_recruiting__' ~ table) }} as typed
        left join {{ ref('stg_recruiting__' ~ table) }} as staged
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

-- Staged facts not (yet) joined: the joined models hold a subset of the staged rows, one row
-- each (unique keys), so the difference of the counts is the orphans; no anti-join of history.
waiting as (
    select
        'email_sends' as table_name,
        (select count(*) from {{ ref('stg_recruiting__email_sends') }})
            - (select count(*) from {{ ref('int_emails_joined_to_messages') }}) as row_count
    union all
    select
        'email_events',
        (select count(*) from {{ ref('stg_recruiting__email_events') }})
            - (select count(*) from {{ ref('int_email_events_joined_to_emails') }})
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
