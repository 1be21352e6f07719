{{ config(meta={'dagster': {'ref': {'name': 'mart_mh_out_of_area_month'}}}) }}
-- Why the regions do not add up to England: NHS Digital rounds each region's placement counts to
-- the nearest 5, so their sum may differ from England's exact count by up to 2.5 per region (the
-- bundled months differ by 0 to 3). Returns a month and measure whose regions differ by more,
-- which rounding cannot explain. Months where a region's figure is suppressed are skipped.
with figures as (
    select month_start, area_level, 'oaps_active_at_period_end' as measure_name, oaps_active_at_period_end as value
    from {{ ref('mart_mh_out_of_area_month') }}
    union all
    select month_start, area_level, 'oaps_started_in_period', oaps_started_in_period
    from {{ ref('mart_mh_out_of_area_month') }}
    union all
    select month_start, area_level, 'oaps_ended_in_period', oaps_ended_in_period
    from {{ ref('mart_mh_out_of_area_month') }}
),

regions as (
    select month_start, measure_name, sum(value) as summed, count(*) as regions, count(*) - count(value) as suppressed
    from figures
    where area_level = 'region'
    group by month_start, measure_name
)

select regions.month_start, regions.measure_name, england.value as england, regions.summed, regions.regions
from regions
join figures as england
    on england.month_start = regions.month_start
    and england.measure_name = regions.measure_name
    and england.area_level = 'england'
where regions.suppressed = 0
  and abs(regions.summed - england.value) > 2.5 * regions.regions
