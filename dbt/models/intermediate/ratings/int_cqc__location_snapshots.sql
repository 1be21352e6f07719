-- Which locations each snapshot of each source holds: (source, snapshot_date, location_id).
select distinct source, snapshot_date, location_id
from {{ ref('int_cqc__locations') }}
