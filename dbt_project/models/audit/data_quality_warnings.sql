-- Rows that were used, with a value the models had to replace. Not blocking.
select
    'users' as table_name,
    user_id as record_key,
    'timezone' as column_name,
    timezone as original_value,
    case when timezone is null then 'missing time zone: UTC used'
         else 'unknown time zone: UTC used' end as warning
from {{ ref('int_users_current') }}
where has_unknown_timezone
