{{ config(meta={'dagster': {'ref': {'name': 'mart_carers_region_year'}}}) }}
-- For every year and measure, the mart's England median equals the median Oflog printed beside
-- each council's value (its MEDIAN column). Oflog's medians carry floating-point noise in the
-- 11th significant figure (1609.6114336083335 vs 1609.6114336366436), hence the tolerance.
with oflog as (
    select financial_year, measure_code, max(publisher_median) as oflog_median
    from {{ ref('stg_ascof__council_measures') }}
    group by financial_year, measure_code
)

select oflog.*, england.median_value
from oflog
left join {{ ref('mart_carers_region_year') }} as england
    on england.is_england
    and england.financial_year = oflog.financial_year
    and england.measure_code = oflog.measure_code
where england.median_value is null or abs(england.median_value - oflog.oflog_median) > 0.000001
