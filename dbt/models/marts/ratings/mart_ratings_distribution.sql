-- How CQC's current ratings are distributed, per source (the API capture, the export) as at its
-- newest snapshot: counts of each rating by
-- sector (inspection directorate), primary inspection category, service or population group and
-- key question, for England (all locations loaded), each NHS England region and each ICB. The
-- questions State of Care asks ("10% of NHS maternity services inadequate overall") are rows here.
-- Percentages are over rated locations only (Outstanding, Good, Requires improvement, Inadequate),
-- as CQC reports them; not-rated categories are counted but get no percentage.
with latest_per_source as (
    select source, max(snapshot_date) as snapshot_date
    from {{ ref('int_cqc__location_snapshots') }}
    group by source
),

ratings as (
    -- Each source's newest snapshot on its own: the API capture's distribution is the API's, whatever
    -- a newer export says about a location both hold.
    select
        ratings.snapshot_date as as_at_date,
        ratings.source,
        ratings.service,
        ratings.key_question,
        ratings.key_question_order,
        ratings.rating,
        ratings.is_rated,
        ratings.rating_order,
        registrations.inspection_directorate,
        registrations.primary_inspection_category_name,
        -- Locations with no known ICB or region still count for England; they form their own area.
        coalesce(locations.region_code, 'UNKNOWN') as region_code,
        coalesce(locations.region_name, 'Region not known') as region_name,
        coalesce(locations.icb_code, 'UNKNOWN') as icb_code,
        coalesce(locations.icb_name, 'ICB not known') as icb_name
    from {{ ref('stg_cqc__location_ratings') }} as ratings
    join latest_per_source using (source, snapshot_date)
    join {{ ref('int_cqc__locations') }} as registrations
        on registrations.source = ratings.source
        and registrations.snapshot_date = ratings.snapshot_date
        and registrations.location_id = ratings.location_id
    left join {{ ref('dim_location') }} as locations on locations.location_id = ratings.location_id
    -- Active registrations only: CQC's distributions describe services operating now.
    where registrations.is_registered
),

counted as (
    select
        max(as_at_date) as as_at_date,
        coalesce(inspection_directorate, 'Unspecified') as sector_key,
        grouping(inspection_directorate) = 1 as all_sectors,
        coalesce(primary_inspection_category_name, 'Unspecified') as category_key,
        grouping(primary_inspection_category_name) = 1 as all_categories,
        source,
        service,
        key_question,
        min(key_question_order) as key_question_order,
        case
            when grouping(region_code) = 0 then 'region'
            when grouping(icb_code) = 0 then 'icb'
            else 'england'
        end as area_level,
        case
            when grouping(region_code) = 0 then region_code
            when grouping(icb_code) = 0 then icb_code
            else 'ENG'
        end as area_code,
        case
            when grouping(region_code) = 0 then max(region_name)
            when grouping(icb_code) = 0 then max(icb_name)
            else 'England'
        end as area_name,
        rating,
        bool_and(is_rated) as is_rated,
        min(rating_order) as rating_order,
        count(*) as locations
    from ratings
    group by grouping sets (
        (source, service, key_question, rating),
        (source, service, key_question, rating, inspection_directorate),
        (source, service, key_question, rating, primary_inspection_category_name),
        (source, service, key_question, rating, region_code),
        (source, service, key_question, rating, inspection_directorate, region_code),
        (source, service, key_question, rating, primary_inspection_category_name, region_code),
        (source, service, key_question, rating, icb_code),
        (source, service, key_question, rating, inspection_directorate, icb_code),
        (source, service, key_question, rating, primary_inspection_category_name, icb_code)
    )
)

select
    source,
    as_at_date,
    case when all_sectors then 'All sectors' else sector_key end as sector,
    case when all_categories then 'All categories' else category_key end as primary_inspection_category,
    service,
    key_question,
    key_question_order,
    area_level,
    area_code,
    area_name,
    rating,
    is_rated,
    rating_order,
    locations,
    cast(sum(locations) over cell as bigint) as all_locations,
    cast(sum(case when is_rated then locations else 0 end) over cell as bigint) as rated_locations,
    case
        when is_rated then {{ percent('locations', 'sum(case when is_rated then locations else 0 end) over cell') }}
    end as pct_of_rated
from counted
window cell as (
    partition by source, all_sectors, sector_key, all_categories, category_key, service, key_question, area_level, area_code
)
