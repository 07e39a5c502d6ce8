{#-
  The few expressions that differ between engines, dispatched per adapter so that no model
  body is forked: a DuckDB and a Spark implementation each. Timestamps in this project are
  naive and in UTC after staging.
-#}

{#- Text -> UTC timestamp, NULL when the text is not an ISO-8601 timestamp (SPEC §2). An
    explicit offset (`+02:00`, `Z`) is honoured; text without one is read as UTC. The shape is
    checked first with one pattern for every engine: each engine's own cast is lenient in its
    own way (DuckDB reads an hour `010`, for one), and both must accept the same rows. -#}
{% macro iso_timestamp_pattern() -%}
    {#- no backslashes: engines escape string literals differently -#}
    {{ return("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
              ~ "([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?"
              ~ "(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$") }}
{%- endmacro %}

{% macro parse_timestamp(text) -%}
    case when {{ adapter.dispatch('matches_pattern', 'campaign_dw')('trim(' ~ text ~ ')', iso_timestamp_pattern()) }}
        then {{ adapter.dispatch('parse_timestamp', 'campaign_dw')('trim(' ~ text ~ ')') }}
    end
{%- endmacro %}

{% macro default__matches_pattern(text, pattern) -%}
    {{ text }} rlike '{{ pattern }}'
{%- endmacro %}

{% macro duckdb__matches_pattern(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro default__parse_timestamp(text) -%}
    cast({{ text }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__parse_timestamp(text) -%}
    cast(timezone('UTC', try_cast({{ text }} as timestamptz)) as timestamp)
{%- endmacro %}

{% macro spark__parse_timestamp(text) -%}
    try_cast({{ text }} as timestamp)
{%- endmacro %}


{#- A timestamp or boolean column of a raw table: the file's own typed value when it gave one
    (`<column>__typed`, e.g. a Parquet timestamp; campaign_dw/loader.py), else the text
    parsed. Only the text is ever parsed: a typed file is read without a text round trip. -#}
{% macro typed_timestamp(column) -%}
    coalesce({{ column }}__typed, {{ parse_timestamp(column) }})
{%- endmacro %}

{% macro typed_boolean(column) -%}
    coalesce({{ column }}__typed, {{ parse_boolean(column) }})
{%- endmacro %}


{#- UTC timestamp -> wall-clock time in an IANA zone, converted per value, so daylight-saving
    changes and :30/:45 offsets come out right. -#}
{% macro utc_to_local(timestamp_utc, time_zone) -%}
    {{ return(adapter.dispatch('utc_to_local', 'campaign_dw')(timestamp_utc, time_zone)) }}
{%- endmacro %}

{% macro default__utc_to_local(timestamp_utc, time_zone) -%}
    from_utc_timestamp({{ timestamp_utc }}, {{ time_zone }})
{%- endmacro %}

{% macro duckdb__utc_to_local(timestamp_utc, time_zone) -%}
    timezone({{ time_zone }}, timezone('UTC', {{ timestamp_utc }}))
{%- endmacro %}


{#- ISO day of week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(ts) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'campaign_dw')(ts)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(ts) -%}
    cast(extract(dayofweek_iso from {{ ts }}) as integer)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(ts) -%}
    cast(isodow({{ ts }}) as integer)
{%- endmacro %}


{#- Hour of day 0-23 (portable as it is; a macro so the heatmap reads the same on both sides). -#}
{% macro hour_of_day(ts) -%}
    cast(extract(hour from {{ ts }}) as integer)
{%- endmacro %}


{#- Text -> integer, NULL when it is not one. The shape is checked first, as for timestamps:
    neither engine's plain cast is safe (it fails the whole query on one bad value). -#}
{% macro parse_integer(text) -%}
    case when {{ adapter.dispatch('matches_pattern', 'campaign_dw')('trim(' ~ text ~ ')', '^[+-]?[0-9]{1,9}$') }}
        then cast(trim({{ text }}) as {{ api.Column.translate_type('integer') }})
    end
{%- endmacro %}


{#- Text -> boolean: true or false, in any case, blanks around allowed; NULL when it is
    neither (staging rejects a value that does not parse). -#}
{% macro parse_boolean(text) -%}
    case lower(trim({{ text }})) when 'true' then true when 'false' then false end
{%- endmacro %}


{#- Seconds from one timestamp to a later one, with their fractions (both engines keep
    microseconds; Spark's unix_timestamp() would drop them). -#}
{% macro seconds_between(earlier, later) -%}
    {{ return(adapter.dispatch('seconds_between', 'campaign_dw')(earlier, later)) }}
{%- endmacro %}

{% macro default__seconds_between(earlier, later) -%}
    (unix_micros({{ later }}) - unix_micros({{ earlier }})) / 1000000.0
{%- endmacro %}

{% macro duckdb__seconds_between(earlier, later) -%}
    (epoch_us({{ later }}) - epoch_us({{ earlier }})) / 1000000.0
{%- endmacro %}


{#- Blank text is no value: '' and '   ' read as NULL. -#}
{% macro nullif_blank(text) -%}
    nullif(trim({{ text }}), '')
{%- endmacro %}


{#- The start of the UTC quarter-hour a timestamp falls in. Every time zone offset in use is a
    multiple of 15 minutes and changes on such a boundary, so the local time of anything in
    a quarter-hour is known from the quarter-hour alone (see int_quarter_hours_localized). -#}
{% macro quarter_hour(ts) -%}
    {{ return(adapter.dispatch('quarter_hour', 'campaign_dw')(ts)) }}
{%- endmacro %}

{% macro default__quarter_hour(ts) -%}
    timestamp_seconds(cast(floor(unix_seconds({{ ts }}) / 900) * 900 as bigint))
{%- endmacro %}

{% macro duckdb__quarter_hour(ts) -%}
    time_bucket(interval 15 minute, {{ ts }})
{%- endmacro %}


{#- One row per day from `first` to `last` (DATE literals as text), as column date_day. -#}
{% macro days_between(first, last) -%}
    {{ return(adapter.dispatch('days_between', 'campaign_dw')(first, last)) }}
{%- endmacro %}

{% macro default__days_between(first, last) -%}
    select explode(sequence(to_date({{ first }}), to_date({{ last }}), interval 1 day)) as date_day
{%- endmacro %}

{% macro duckdb__days_between(first, last) -%}
    select cast(day as date) as date_day
    from range(cast({{ first }} as date), cast({{ last }} as date) + interval 1 day, interval 1 day) as days(day)
{%- endmacro %}
