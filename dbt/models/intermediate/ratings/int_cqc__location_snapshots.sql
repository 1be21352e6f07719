-- Which locations each snapshot of each source holds: (source, snapshot_date, location_id).
select distinct source, snapshot_date, location_id
from {{ ref('stg_cqc__locations') }}
