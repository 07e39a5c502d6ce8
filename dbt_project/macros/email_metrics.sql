{#-
  SPEC §4: the 11 dashboard metrics and their counts, for a set of emails. This file is the
  one place where they are defined; both metric marts call these macros.

  Counts come from the per-email flags of `int_emails_flagged` (SPEC §3, defined there),
  counted per message in `int_message_emails_counted`.
  Rates are fractions in [0, 1], NULL when the denominator is 0. A campaign's rate is the
  ratio of its summed counts, never an average of its messages' rates.
-#}

{#- The count columns, in mart order, and the flag each one counts. -#}
{% macro email_count_flags() -%}
    {{ return({
        'emails_sent': None,
        'emails_delivered': 'was_delivered',
        'emails_bounced': 'was_bounced',
        'emails_hard_bounced': 'was_hard_bounced',
        'emails_soft_bounced': 'was_soft_bounced',
        'emails_opened': 'was_opened',
        'emails_clicked': 'was_clicked',
        'emails_replied': 'was_replied',
        'emails_unsubscribed': 'was_unsubscribed',
        'emails_marked_spam': 'was_marked_spam',
    }) }}
{%- endmacro %}

{#- Count the emails of a group (one row per email, with its flags). -#}
{% macro count_emails() -%}
    {%- for column, flag in email_count_flags().items() %}
    cast({% if flag is none -%} count(*) {%- else -%} sum(case when {{ flag }} then 1 else 0 end) {%- endif %} as {{ dbt.type_bigint() }}) as {{ column }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- A group's counts from the counts of its parts (a campaign's from its messages': each email
    belongs to one message). -#}
{% macro sum_email_counts() -%}
    {%- for column in email_count_flags() %}
    cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The counts of a left-joined group, 0 (not NULL) where the group had no emails. -#}
{% macro email_counts_or_zero(relation_alias) -%}
    {%- for column in email_count_flags() %}
    coalesce({{ relation_alias }}.{{ column }}, 0) as {{ column }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- numerator / denominator as a fraction; NULL when the denominator is 0. -#}
{% macro ratio(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null
         else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{#- The rates, each with its SPEC §4 numerator and denominator. -#}
{% macro email_rate_definitions() -%}
    {{ return({
        'delivery_rate':      ('emails_delivered',    'emails_sent'),
        'bounce_rate':        ('emails_bounced',      'emails_sent'),
        'unsubscribe_rate':   ('emails_unsubscribed', 'emails_delivered'),
        'spam_rate':          ('emails_marked_spam',  'emails_delivered'),
        'open_rate':          ('emails_opened',       'emails_delivered'),
        'response_rate':      ('emails_replied',      'emails_delivered'),
        'click_rate':         ('emails_clicked',      'emails_delivered'),
        'click_through_rate': ('emails_clicked',      'emails_opened'),
    }) }}
{%- endmacro %}

{% macro email_rates() -%}
    {%- for rate, (numerator, denominator) in email_rate_definitions().items() %}
    {{ ratio(numerator, denominator) }} as {{ rate }}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
