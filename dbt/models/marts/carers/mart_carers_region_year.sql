-- Councils' values summarised by ONS region and for England, per financial year and measure: the
-- median and unweighted mean across councils (how Oflog and CQC compare councils), how many
-- councils had a value, and which councils that existed that year had none.
with facts as (
    select * from {{ ref('fct_carers_council_year') }}
),

measure_years as (
    select distinct financial_year, measure_code, measure_name, unit from facts
),

-- Every council that existed in each year the measure was published, whether or not it reported.
expected as (
    select measure_years.*, councils.la_code, councils.la_name, councils.region_code, councils.region_name
    from measure_years
    join {{ ref('dim_local_authority') }} as councils
        on cast(left(measure_years.financial_year, 4) || '-04-01' as date)
        between coalesce(councils.valid_from, date '1900-01-01') and coalesce(councils.valid_to, date '9999-12-31')
),

council_values as (
    select expected.*, facts.value
    from expected
    left join facts
        on facts.financial_year = expected.financial_year
        and facts.measure_code = expected.measure_code
        and facts.la_code = expected.la_code
),

by_area as (
    select
        financial_year, region_code, region_name, measure_code, measure_name, unit, value, la_name
    from council_values
    union all
    select
        financial_year, 'E92000001' as region_code, 'England' as region_name, measure_code, measure_name, unit, value, la_name
    from council_values
)

select
    financial_year,
    region_code,
    region_name,
    region_code = 'E92000001' as is_england,
    measure_code,
    measure_name,
    unit,
    count(*) as councils,
    count(value) as councils_with_value,
    count(*) - count(value) as councils_missing,
    {{ string_agg_ordered('la_name', "'; '") }} filter (where value is null) as missing_councils,
    median(value) as median_value,
    avg(value) as mean_value,
    min(value) as min_value,
    max(value) as max_value
from by_area
group by financial_year, region_code, region_name, measure_code, measure_name, unit
