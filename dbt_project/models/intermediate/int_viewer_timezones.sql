-- The time zones the heatmap is drawn in: every viewer's zone (unknown zones already became
-- UTC in int_users_current) plus UTC.
select viewer_timezone from {{ ref('int_users_current') }}
union
select 'UTC' as viewer_timezone
