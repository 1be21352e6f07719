-- Every OAPs figure NHS Digital publishes for England and its regions, long: per month, area,
-- breakdown category, measure and band. Area totals have breakdown 'all'; England's breakdowns come
-- from the publisher's England-wide rows (bed type, reason, sending provider, ...), the regions'
-- from its region x breakdown rows. The publisher's all-categories rows are left out: they repeat
-- the area totals (the gate checks that they do).
with figures as (
    select * from {{ ref('stg_mh_oaps__figures') }}
),

categories as (
    select * from {{ ref('oaps_categories') }}
),

region_names as (
    select category_code as region_code, category_name as region_name
    from categories
    where breakdown = 'region'
),

placed as (
    -- England and region totals.
    select
        month_start, breakdown1 as area_level,
        case when breakdown1 = 'england' then 'ENG' else breakdown1_code end as area_code,
        'all' as breakdown, cast(null as {{ dbt.type_string() }}) as category_code,
        cast(null as {{ dbt.type_string() }}) as published_category_name,
        measure_name, band, band_lower, band_upper, band_unit, unit, value, is_suppressed, is_rounded_to_5,
        source_file_name, source_file_sha256
    from figures
    where
        breakdown2 is null
        and (breakdown1 = 'england' or (breakdown1 = 'region' and breakdown1_code <> 'England'))
    union all
    -- England by one breakdown (bed type, reason, provider, CCG, ...).
    select
        month_start, 'england' as area_level, 'ENG' as area_code,
        breakdown1, breakdown1_code, breakdown1_description,
        measure_name, band, band_lower, band_upper, band_unit, unit, value, is_suppressed, is_rounded_to_5,
        source_file_name, source_file_sha256
    from figures
    where
        breakdown2 is null
        and breakdown1 not in ('england', 'region')
        and breakdown1_code <> 'England'
    union all
    -- Each region by one breakdown.
    select
        month_start, 'region' as area_level, breakdown1_code as area_code,
        breakdown2, breakdown2_code, breakdown2_description,
        measure_name, band, band_lower, band_upper, band_unit, unit, value, is_suppressed, is_rounded_to_5,
        source_file_name, source_file_sha256
    from figures
    where breakdown1 = 'region' and breakdown2 is not null and breakdown2_code <> '0'
),

published_names as (
    -- CCG, STP and provider names from the months whose files carry descriptions (from January
    -- 2017), newest first, for the months whose files do not.
    select breakdown, category_code, published_category_name as category_name
    from (
        select
            breakdown, category_code, published_category_name,
            row_number() over (partition by breakdown, category_code order by month_start desc) as newest
        from placed
        where published_category_name is not null
    ) as named
    where newest = 1
)

select
    placed.month_start,
    placed.area_level,
    placed.area_code,
    case when placed.area_level = 'england' then 'England' else region_names.region_name end as area_name,
    placed.breakdown,
    placed.category_code,
    case
        when placed.breakdown = 'all' then null
        else coalesce(categories.category_name, trim(placed.published_category_name), trim(published_names.category_name))
    end as category_name,
    placed.measure_name,
    placed.band,
    placed.band_lower,
    placed.band_upper,
    placed.band_unit,
    placed.unit,
    placed.value,
    placed.is_suppressed,
    placed.is_rounded_to_5,
    placed.source_file_name,
    placed.source_file_sha256
from placed
left join region_names on region_names.region_code = placed.area_code
left join categories on categories.breakdown = placed.breakdown and categories.category_code = placed.category_code
left join published_names on published_names.breakdown = placed.breakdown and published_names.category_code = placed.category_code
