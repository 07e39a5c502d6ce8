-- Personal data (email, names) stays in staging: no mart selects it.
select
    prospect_id,
    email,
    first_name,
    last_name,
    updated_at
from {{ ref('base_recruiting__prospects') }}
where row_status = 'current'
