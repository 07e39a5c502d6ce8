-- The state this build starts from, read once, before any other model runs, and kept (one row)
-- until the next build: the last completed build (intermediate.completed_builds: how far it
-- had read each input of the per-campaign models) and the watermark of every model that appends
-- by arrival (the newest row it held when this build began). Every incremental decision reads
-- this row through the `build_state()` macro (macros/incremental.sql), so that `dbt compile`
-- of a model after a build gives the SQL that build ran. A model declares its watermark in its
-- config: `meta: {watermark: {column: _row_id}}`, or per value of a column (`per: table_name`).
{%- set previous = none %}
{%- set watermarks = {} %}
{%- if execute %}
    {%- set rows = run_query(
        "select * from " ~ source('warehouse', 'completed_builds') ~ " order by built_at desc limit 1"
    ) %}
    {%- if rows.rows | length > 0 %}
        {%- set previous = {} %}
        {%- for name, value in rows.rows[0].items() if name != 'built_at' %}
            {%- do previous.update({name: value | int if name.endswith('_through') else value}) %}
        {%- endfor %}
    {%- endif %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.meta.watermark %}
        {%- set spec = node.config.meta.watermark %}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias or node.name) %}
        {%- if relation is none %}
            {%- do watermarks.update({node.name: {} if spec.per else 0}) %}
        {%- elif spec.per %}
            {%- set per = run_query(
                "select " ~ spec.per ~ ", coalesce(max(" ~ spec.column ~ "), 0) from " ~ relation ~ " group by " ~ spec.per
            ) %}
            {%- set values = {} %}
            {%- for row in per.rows %}
                {%- do values.update({row[0]: row[1] | int}) %}
            {%- endfor %}
            {%- do watermarks.update({node.name: values}) %}
        {%- else %}
            {%- set newest = run_query("select coalesce(max(" ~ spec.column ~ "), 0) from " ~ relation) %}
            {%- do watermarks.update({node.name: newest.columns[0].values()[0] | int}) %}
        {%- endif %}
    {%- endfor %}
{%- endif %}

select
    {{ built_at() }} as built_at,
    '{{ tojson(previous) | replace("'", "''") }}' as last_completed_build,
    '{{ tojson(watermarks, sort_keys=true) | replace("'", "''") }}' as watermarks
