-- The time zones the heatmap is drawn in: every viewer's zone (unknown zones already became
-- UTC in staging) plus UTC.
select viewer_timezone from {{ ref('stg_recruiting__users') }}
union
select 'UTC' as viewer_timezone
