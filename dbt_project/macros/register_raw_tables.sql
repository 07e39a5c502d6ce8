{#-
  On Spark, the raw tables are the Parquet files campaign-dw exports from each load
  ($CAMPAIGN_DW_SPARK_RAW/<table>/, see campaign_dw/spark.py): registered as tables of schema
  `raw` at the start of every run, and refreshed so that files added since are read.
  On DuckDB the loader writes schema `raw` itself: nothing to do.
-#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables', 'campaign_dw')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set location = env_var('CAMPAIGN_DW_SPARK_RAW', '') -%}
    {%- if not location -%}
        {{ exceptions.raise_compiler_error(
            "CAMPAIGN_DW_SPARK_RAW is not set: run through `campaign-dw build --target spark`, "
            "which exports the raw tables to Parquet and sets it") }}
    {%- endif -%}
    {%- set tables = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'recruiting' -%}
        {%- do tables.append(node.identifier) -%}
    {%- endfor -%}
    {%- do run_query("create schema if not exists raw") -%}
    {%- for table in tables | sort -%}
        {%- do run_query("create table if not exists raw." ~ table ~ " using parquet location '"
                         ~ location ~ "/" ~ table ~ "'") -%}
        {%- do run_query("refresh table raw." ~ table) -%}
    {%- endfor -%}
    select 1
{%- endmacro %}
