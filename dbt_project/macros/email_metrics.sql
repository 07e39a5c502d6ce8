{#-
  SPEC §4: the 11 dashboard metrics and their counts, for a set of emails; and SPEC §3b: the
  same figures for people, beside them. This file is the one place where they are defined;
  both metric marts call these macros.

  Counts come from the per-email flags of `int_emails_flagged` (SPEC §3 and §3b, defined
  there), counted per message in `int_message_emails_counted`.
  Rates are fractions in [0, 1], NULL when the denominator is 0. A campaign's rate is the
  ratio of its summed counts, never an average of its messages' rates.
-#}

{#- The count columns, in mart order, and what each one adds up per email: a flag (the emails
    with it) or a number of events. -#}
{% macro email_counts() -%}
    {{ return({
        'emails_sent': '1',
        'emails_delivered': flag('was_delivered'),
        'emails_bounced': flag('was_bounced'),
        'emails_hard_bounced': flag('was_hard_bounced'),
        'emails_soft_bounced': flag('was_soft_bounced'),
        'emails_opened': flag('was_opened'),
        'emails_clicked': flag('was_clicked'),
        'emails_replied': flag('was_replied'),
        'emails_unsubscribed': flag('was_unsubscribed'),
        'emails_marked_spam': flag('was_marked_spam'),
        'emails_opened_by_people': flag('was_opened_by_people'),
        'emails_clicked_by_people': flag('was_clicked_by_people'),
        'machine_opens': 'machine_open_events',
        'bot_clicks': 'bot_click_events',
    }) }}
{%- endmacro %}

{% macro flag(name) -%}
    case when {{ name }} then 1 else 0 end
{%- endmacro %}

{#- Count the emails of a group (one row per email, with its flags). -#}
{% macro count_emails() -%}
    {%- for column, per_email in email_counts().items() %}
    cast(sum({{ per_email }}) as {{ dbt.type_bigint() }}) as {{ column }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- A group's counts from the counts of its parts (a campaign's from its messages': each email
    belongs to one message). -#}
{% macro sum_email_counts() -%}
    {%- for column in email_counts() %}
    cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The counts of a left-joined group, 0 (not NULL) where the group had no emails. -#}
{% macro email_counts_or_zero(relation_alias) -%}
    {%- for column in email_counts() %}
    coalesce({{ relation_alias }}.{{ column }}, 0) as {{ column }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- numerator / denominator as a fraction; NULL when the denominator is 0. -#}
{% macro ratio(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null
         else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{#- The rates, each with its numerator and denominator: SPEC §4's eight, then §3b's three
    for people. -#}
{% macro email_rate_definitions() -%}
    {{ return({
        'delivery_rate':             ('emails_delivered',         'emails_sent'),
        'bounce_rate':               ('emails_bounced',           'emails_sent'),
        'unsubscribe_rate':          ('emails_unsubscribed',      'emails_delivered'),
        'spam_rate':                 ('emails_marked_spam',       'emails_delivered'),
        'open_rate':                 ('emails_opened',            'emails_delivered'),
        'response_rate':             ('emails_replied',           'emails_delivered'),
        'click_rate':                ('emails_clicked',           'emails_delivered'),
        'click_through_rate':        ('emails_clicked',           'emails_opened'),
        'people_open_rate':          ('emails_opened_by_people',  'emails_delivered'),
        'people_click_rate':         ('emails_clicked_by_people', 'emails_delivered'),
        'people_click_through_rate': ('emails_clicked_by_people', 'emails_opened_by_people'),
    }) }}
{%- endmacro %}

{% macro email_rates() -%}
    {%- for rate, (numerator, denominator) in email_rate_definitions().items() %}
    {{ ratio(numerator, denominator) }} as {{ rate }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
