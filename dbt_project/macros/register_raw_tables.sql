{#-
  On Spark, the raw tables are the Parquet files campaign-dw exports from each load
  (<raw folder>/<table>/, see campaign_dw/spark/raw.py): registered as tables of this
  warehouse's schema `raw` (`<prefix>_raw`, macros/generate_schema_name.sql) at the start of
  every run, created afresh so that files added since, and new columns, are read, and so that
  they read this warehouse's folder (var spark_raw, which campaign-dw passes), whatever was
  registered before. On DuckDB the loader writes schema `raw` (views over the landing store)
  itself: nothing to do.
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
    {%- set location = var('spark_raw', env_var('CAMPAIGN_DW_SPARK_RAW', '')) -%}
    {%- if not location -%}
        {{ exceptions.raise_compiler_error(
            "no raw folder (var spark_raw): run through `campaign-dw build --target spark`, "
            "which exports the raw tables to Parquet and passes it") }}
    {%- endif -%}
    {%- set tables = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'recruiting' -%}
        {%- do tables.append(node.schema ~ "." ~ node.identifier) -%}
    {%- endfor -%}
    {%- do run_query("create schema if not exists " ~ warehouse_schema('raw')) -%}
    {%- for table in tables | sort -%}
        {#- Dropped and created again (an external table: its files stay): the table reads this
            warehouse's files with their current columns, whatever was registered before. -#}
        {%- do run_query("drop table if exists " ~ table) -%}
        {%- do run_query("create table " ~ table ~ " using parquet location '"
                         ~ location ~ "/" ~ table.split(".")[-1] ~ "'") -%}
    {%- endfor -%}
    select 1
{%- endmacro %}
