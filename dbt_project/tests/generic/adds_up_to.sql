{#- A finer grain of the same counts adds up to the coarser one: summing `columns` of this
    model by `keys` gives the rows of `coarser` (a per-campaign model, as this one), no row
    missing on either side. Like unique_in_latest_build, it checks the rows the latest build
    wrote (the coarser model's newest `_built_at`; both are rebuilt for the same campaigns):
    earlier builds checked theirs. Counts of distinct things (unique prospects) do not add
    up and are not for this test. This project's own; dbt_utils has no such test
    (its `equality` compares whole tables, not sums). -#}
{% test adds_up_to(model, coarser, keys, columns) %}
with

latest_build as (
    select max(_built_at) as built_at from {{ coarser }}
),

coarse as (
    select {{ (keys + columns) | join(', ') }}
    from {{ coarser }}
    where _built_at = (select built_at from latest_build)
),

fine_summed as (
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {%- for column in columns %}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    where _built_at = (select built_at from latest_build)
    group by {{ keys | join(', ') }}
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
