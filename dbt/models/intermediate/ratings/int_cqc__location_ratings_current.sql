-- The current ratings of each location: taken whole from the newest snapshot that holds the
-- location, among each source's latest snapshot (the API and an export can both hold it; the newer
-- one wins, the API on a tie). A rating the newest snapshot no longer has is not current.
with members as (
    select * from {{ ref('int_cqc__location_snapshots') }}
),

latest_per_source as (
    select source, max(snapshot_date) as snapshot_date
    from members
    group by source
),

chosen as (
    select members.source, members.snapshot_date, members.location_id
    from members
    join latest_per_source using (source, snapshot_date)
    qualify row_number() over (
        partition by members.location_id
        order by members.snapshot_date desc, case members.source when 'api' then 0 else 1 end
    ) = 1
)

select ratings.*
from {{ ref('stg_cqc__location_ratings') }} as ratings
join chosen
    on chosen.source = ratings.source
    and chosen.snapshot_date = ratings.snapshot_date
    and chosen.location_id = ratings.location_id
