{#-
  Upgrading a warehouse built by an earlier version of this project, in place: what a newer
  model layout no longer keeps is removed, so that builds go on without --full-refresh.
-#}

{#- on-run-start: relations earlier versions built that no model builds any more (dbt leaves
    a removed model's table behind). -#}
{% macro drop_relations_no_longer_built() -%}
    {%- set removed = [
        ('intermediate', 'int_email_engagements_classified'),
    ] -%}
    {%- if execute -%}
        {%- for schema, name in removed -%}
            {%- set relation = adapter.get_relation(database=target.database, schema=warehouse_schema(schema), identifier=name) -%}
            {%- if relation is not none -%}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- A pre-hook of an incremental model that keeps fewer columns than an earlier version of this
    project did (a pre-hook: it runs before dbt compares the schemas, so that the build goes on
    appending instead of failing on_schema_change). DuckDB only: Spark's Parquet tables cannot
    drop a column (`campaign-dw build --full-refresh` once there; per-campaign models need nothing:
    Spark rebuilds them whole). -#}
{% macro drop_columns_no_longer_kept(columns) -%}
    {%- if execute and is_incremental() and target.type == 'duckdb' -%}
        {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- for column in columns if column in existing -%}
            {%- do run_query("alter table " ~ this ~ " drop column " ~ column) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

