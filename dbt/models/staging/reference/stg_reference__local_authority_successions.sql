select
    upper(trim(predecessor_la_code)) as predecessor_la_code,
    upper(trim(successor_la_code)) as successor_la_code,
    effective_from,
    change_type,
    note
from {{ ref('local_authority_successions') }}
