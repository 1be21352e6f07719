-- Every version of every location rating the warehouse has recorded (from the dbt snapshot), with
-- the as-at dates between which it held. A version with is_published = false says the source's
-- newer snapshot no longer had the rating.
with versions as (
    select * from {{ ref('snap_cqc__location_ratings') }}
)

select
    location_id,
    service,
    key_question,
    rating,
    is_rated,
    report_date,
    is_published,
    source,
    cast(dbt_valid_from as date) as valid_from,
    cast(dbt_valid_to as date) as valid_to,
    dbt_valid_to is null as is_current,
    lag(rating) over (partition by tracked_key order by dbt_valid_from) as previous_rating,
    case
        when lag(dbt_valid_from) over (partition by tracked_key order by dbt_valid_from) is null then 'first seen'
        when not is_published then 'no longer published'
        else 'changed'
    end as change,
    rating_key,
    tracked_key
from versions
