{#- A finer grain of the same counts adds up to the coarser one: summing `columns` of this
    model by `keys` gives the rows of `coarser` (a per-campaign model, as this one), no row
    missing on either side. Like unique_in_latest_build, it checks what the latest build
    wrote: the keys of the rows it wrote in either model (the newest `_built_at` of both;
    a build may rewrite a few rows of a key, as the heatmap cells kept by difference do), each
    compared in full, every row of the key whenever written. Earlier builds checked the rest.
    Counts of distinct things (unique prospects) do not add up and are not for this test.
    This project's own; dbt_utils has no such test (its `equality` compares whole tables, not
    sums). Both sides are also filtered on the first key alone (implied by the join on every
    key): the engine applies that in the scan, so a build that touched a few campaigns probes
    their rows only, not every row of both tables. -#}
{% test adds_up_to(model, coarser, keys, columns) %}
with

latest_build as (
    select max(_built_at) as built_at
    from (
        select _built_at from {{ coarser }}
        union all
        select _built_at from {{ model }}
    ) as both_models
),

written as (
    select {{ keys | join(', ') }} from {{ coarser }}
    where _built_at = (select built_at from latest_build)
    union
    select {{ keys | join(', ') }} from {{ model }}
    where _built_at = (select built_at from latest_build)
),

coarse as (
    select {% for column in keys + columns %}coarse_rows.{{ column }}{{ ", " if not loop.last }}{% endfor %}
    from {{ coarser }} as coarse_rows
    inner join written
        on {% for key in keys %}coarse_rows.{{ key }} = written.{{ key }}{{ " and " if not loop.last }}{% endfor %}
    where coarse_rows.{{ keys[0] }} in (select {{ keys[0] }} from written)
),

fine_summed as (
    select
        {%- for key in keys %}
        fine_rows.{{ key }},
        {%- endfor %}
        {%- for column in columns %}
        sum(fine_rows.{{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }} as fine_rows
    inner join written
        on {% for key in keys %}fine_rows.{{ key }} = written.{{ key }}{{ " and " if not loop.last }}{% endfor %}
    where fine_rows.{{ keys[0] }} in (select {{ keys[0] }} from written)
    group by {% for key in keys %}fine_rows.{{ key }}{{ ", " if not loop.last }}{% endfor %}
)

select
    {%- for key in keys %}
    coalesce(coarse.{{ key }}, fine_summed.{{ key }}) as {{ key }},
    {%- endfor %}
    {%- for column in columns %}
    coarse.{{ column }} as {{ column }},
    fine_summed.{{ column }} as summed_{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
from coarse
full outer join fine_summed
    on {% for key in keys %}coarse.{{ key }} = fine_summed.{{ key }}{{ " and " if not loop.last }}{% endfor %}
where coarse.{{ keys[0] }} is null
    or fine_summed.{{ keys[0] }} is null
    {%- for column in columns %}
    or coarse.{{ column }} <> fine_summed.{{ column }}
    {%- endfor %}
{% endtest %}
