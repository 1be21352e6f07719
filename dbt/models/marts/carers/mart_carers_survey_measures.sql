-- The Survey of Adult Carers in England as published: one row per council, survey year and measure,
-- and one per England and ONS-region figure the tables print, each published total reconciled
-- with its councils. The publisher's totals are weighted estimates over every responding carer, so
-- they are a weighted mean of the councils' values and must lie within the councils' range (within
-- one unit of the published rounding); the unweighted council mean is shown beside them, not
-- expected to equal them.
with measures as (
    select * from {{ ref('stg_reference__sace_measures') }}
),

council_rows as (
    select
        survey.financial_year,
        'council' as area_level,
        survey.la_code,
        survey.la_name as area_name,
        councils.la_type,
        councils.region_code,
        councils.region_name,
        survey.measure_code,
        survey.value,
        survey.value_status,
        survey.value_marker,
        survey.source_file_name,
        survey.source_file_sha256
    from {{ ref('stg_sace__council_tables') }} as survey
    join {{ ref('dim_local_authority') }} as councils on councils.la_code = survey.la_code
),

-- Every council that existed in the survey year, for each area, whether or not the table shows it.
area_councils as (
    select distinct totals.financial_year, totals.area_code, totals.measure_code, councils.la_code
    from {{ ref('stg_sace__area_totals') }} as totals
    join {{ ref('dim_local_authority') }} as councils
        on (totals.area_level = 'england' or councils.region_code = totals.area_code)
        and cast(left(totals.financial_year, 4) || '-04-01' as date)
        between coalesce(councils.valid_from, date '1900-01-01') and coalesce(councils.valid_to, date '9999-12-31')
),

council_summary as (
    select
        area_councils.financial_year,
        area_councils.area_code,
        area_councils.measure_code,
        count(*) as councils_in_area,
        count(council_rows.la_code) as councils_in_table,
        count(*) filter (where council_rows.value_status = 'reported') as councils_reported,
        count(*) filter (where council_rows.value_status = 'suppressed') as councils_suppressed,
        count(*) filter (where council_rows.value_status = 'not_available') as councils_not_available,
        min(council_rows.value) as council_min_value,
        max(council_rows.value) as council_max_value,
        avg(council_rows.value) as council_mean_value
    from area_councils
    left join council_rows
        on council_rows.financial_year = area_councils.financial_year
        and council_rows.measure_code = area_councils.measure_code
        and council_rows.la_code = area_councils.la_code
    group by all
),

total_rows as (
    select
        totals.financial_year,
        totals.area_level,
        totals.area_code as la_code,
        coalesce(regions.ons_region_name, totals.area_name) as area_name,
        cast(null as {{ dbt.type_string() }}) as la_type,
        case when totals.area_level = 'region' then totals.area_code end as region_code,
        case when totals.area_level = 'region' then coalesce(regions.ons_region_name, totals.area_name) end as region_name,
        totals.measure_code,
        totals.value,
        totals.value_status,
        totals.value_marker,
        totals.source_file_name,
        totals.source_file_sha256
    from {{ ref('stg_sace__area_totals') }} as totals
    left join {{ ref('ons_regions') }} as regions on regions.ons_region_code = totals.area_code
),

all_rows as (
    select * from council_rows
    union all
    select * from total_rows
)

select
    all_rows.financial_year,
    all_rows.area_level,
    all_rows.la_code,
    all_rows.area_name,
    all_rows.la_type,
    all_rows.region_code,
    all_rows.region_name,
    all_rows.measure_code,
    measures.measure_name,
    measures.framework,
    measures.ascof_code,
    measures.unit,
    measures.higher_is_better,
    all_rows.value,
    all_rows.value_status,
    all_rows.value_marker,
    area_summary.councils_in_area,
    area_summary.councils_in_table,
    area_summary.councils_reported,
    area_summary.councils_suppressed,
    area_summary.councils_not_available,
    area_summary.council_min_value,
    area_summary.council_max_value,
    area_summary.council_mean_value,
    case
        when all_rows.area_level = 'council' then null
        when all_rows.value is null then 'no_published_value'
        when area_summary.councils_in_table < area_summary.councils_in_area then 'not_checkable_councils_missing'
        when area_summary.councils_suppressed > 0 then 'not_checkable_councils_suppressed'
        when area_summary.councils_reported = 0 then 'not_checkable_no_council_values'
        -- One unit of the published rounding (0.1: every value is printed to one decimal) either side:
        -- the councils' printed values and the total are each up to half a unit from the unrounded
        -- (compared on values rounded to 6 places, so binary fractions do not decide a tie).
        when
            round(all_rows.value - area_summary.council_min_value, 6) >= -0.1
            and round(area_summary.council_max_value - all_rows.value, 6) >= -0.1
            then 'reconciled'
        else 'outside_council_range'
    end as reconciliation,
    all_rows.source_file_name,
    all_rows.source_file_sha256
from all_rows
left join measures on measures.measure_code = all_rows.measure_code
left join council_summary as area_summary
    on all_rows.area_level <> 'council'
    and area_summary.financial_year = all_rows.financial_year
    and area_summary.area_code = all_rows.la_code
    and area_summary.measure_code = all_rows.measure_code
