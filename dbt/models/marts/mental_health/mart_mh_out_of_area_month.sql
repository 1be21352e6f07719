-- Mental health out-of-area placements per month for England and each region: the headline
-- measures side by side, one row per area and month (the long mart beside it has every breakdown).
with totals as (
    select * from {{ ref('mart_mh_out_of_area_breakdown_month') }}
    where breakdown = 'all' and band is null
)

select
    month_start,
    area_level,
    area_code,
    area_name,
    cast(max(case when measure_name = 'oaps_active_at_period_end' then value end) as bigint) as oaps_active_at_period_end,
    cast(max(case when measure_name = 'oaps_started_in_period' then value end) as bigint) as oaps_started_in_period,
    cast(max(case when measure_name = 'oaps_ended_in_period' then value end) as bigint) as oaps_ended_in_period,
    cast(max(case when measure_name = 'total_oap_days' then value end) as bigint) as total_oap_days,
    max(case when measure_name = 'recorded_cost' then value end) as recorded_cost,
    max(case when measure_name = 'share_of_oap_days_with_cost_recorded' then value end) as share_of_oap_days_with_cost_recorded,
    max(case when measure_name = 'daily_cost_mean' then value end) as daily_cost_mean,
    area_level <> 'england' as counts_rounded_to_5,
    max(source_file_name) as source_file_name,
    max(source_file_sha256) as source_file_sha256
from totals
group by month_start, area_level, area_code, area_name
