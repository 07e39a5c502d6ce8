{#-
  The few expressions that differ between engines, dispatched per adapter so that no model
  body is forked: a DuckDB and a Spark implementation each. Timestamps in this project are
  naive and in UTC after staging.
-#}

{#- Text -> UTC timestamp, NULL when the text is not a timestamp. An explicit offset
    (`+02:00`, `Z`) is honoured; text without one is read as UTC. -#}
{% macro parse_timestamp(text) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'campaign_dw')(text)) }}
{%- endmacro %}

{% macro default__parse_timestamp(text) -%}
    cast({{ text }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__parse_timestamp(text) -%}
    {#- 'infinity' and '-infinity' parse in DuckDB but are no event's time -#}
    cast(timezone('UTC', nullif(nullif(try_cast({{ text }} as timestamptz), 'infinity'), '-infinity')) as timestamp)
{%- endmacro %}

{% macro spark__parse_timestamp(text) -%}
    to_utc_timestamp(try_cast({{ text }} as timestamp), 'UTC')
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


{#- Text -> integer, NULL when it is not one. -#}
{% macro parse_integer(text) -%}
    {{ dbt.safe_cast(text, api.Column.translate_type('integer')) }}
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
