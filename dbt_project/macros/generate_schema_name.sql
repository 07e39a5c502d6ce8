{#- Schemas are named exactly as configured (`staging`, `marts`, ...), not `main_marts`:
    BI tools and the contract in SPEC §5 address `marts.<table>`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ warehouse_schema((custom_schema_name or target.schema) | trim) }}
{%- endmacro %}

{#- The name of the warehouse's schema `name` where dbt builds it. On DuckDB the name itself:
    the warehouse is its own file. On Spark one metastore may hold several warehouses (a
    cluster's Thrift server), so each one's schemas carry its prefix, `<prefix>_marts`, ...:
    var spark_schema_prefix, which campaign-dw passes (the warehouse file's name, or
    CAMPAIGN_DW_SPARK_SCHEMA_PREFIX; campaign_dw/spark/engine.py). dbt run by hand on Spark
    without it builds plain names. -#}
{% macro warehouse_schema(name) -%}
    {%- set prefix = var('spark_schema_prefix', '') if target.type == 'spark' else '' -%}
    {{ return((prefix ~ '_' if prefix else '') ~ name) }}
{%- endmacro %}

{#- on-run-start (Spark): the schemas of this prefix belong to this warehouse. The first build
    writes the warehouse's path into `<prefix>_intermediate.schemas_owner`; a build of another
    warehouse that would use the same schemas stops before it touches any of them, instead of
    reading and overwriting the other warehouse's tables. -#}
{% macro claim_warehouse_schemas() -%}
    {{ return(adapter.dispatch('claim_warehouse_schemas', 'campaign_dw')()) }}
{%- endmacro %}

{% macro default__claim_warehouse_schemas() -%}
    select 1
{%- endmacro %}

{% macro spark__claim_warehouse_schemas() -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set warehouse = var('warehouse', env_var('CAMPAIGN_DW_WAREHOUSE', 'warehouse/campaign_dw.duckdb')) | string -%}
    {%- set schema = warehouse_schema('intermediate') -%}
    {%- set owner = schema ~ ".schemas_owner" -%}
    {%- do run_query("create schema if not exists " ~ schema) -%}
    {%- do run_query("create table if not exists " ~ owner ~ " (warehouse string) using parquet") -%}
    {%- set owners = run_query("select warehouse from " ~ owner).columns[0].values() | list -%}
    {%- if owners | length == 0 -%}
        {%- do run_query("insert into " ~ owner ~ " values ('" ~ warehouse | replace("\\", "\\\\") | replace("'", "\\'") ~ "')") -%}
    {%- elif owners | reject('equalto', warehouse) | list | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "the Spark schemas " ~ warehouse_schema('*') ~ " belong to the warehouse " ~ owners[0]
            ~ ", not to " ~ warehouse ~ ": set CAMPAIGN_DW_SPARK_SCHEMA_PREFIX to a prefix of this warehouse's own"
            ~ " (if that warehouse was moved here: drop table " ~ owner ~ ", then build)") }}
    {%- endif -%}
    select 1
{%- endmacro %}
