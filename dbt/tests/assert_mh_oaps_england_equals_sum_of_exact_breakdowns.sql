{{ config(meta={'dagster': {'ref': {'name': 'mart_mh_out_of_area_breakdown_month'}}}) }}
-- Every OAP has one bed type, reason, diagnosis, gender, Act status and receiving unit type, and
-- NHS Digital does not round England-wide counts: so England's placements and OAP days equal the
-- sum of each of those breakdowns' categories (checked on the bundled months: they do, exactly).
-- Returns the month, breakdown and measure that do not add up.
with england as (
    select * from {{ ref('mart_mh_out_of_area_breakdown_month') }}
    where area_level = 'england' and band is null and unit in ('placements', 'days')
),

totals as (
    select month_start, measure_name, value from england where breakdown = 'all'
),

sums as (
    select month_start, breakdown, measure_name, sum(value) as summed, count(*) - count(value) as suppressed
    from england
    where breakdown in ('bed_type', 'out_of_area_reason', 'primary_diagnosis', 'gender', 'mha_status', 'receiver_group')
    group by month_start, breakdown, measure_name
)

select sums.month_start, sums.breakdown, sums.measure_name, totals.value as england, sums.summed, sums.suppressed
from sums
join totals on totals.month_start = sums.month_start and totals.measure_name = sums.measure_name
where sums.suppressed > 0 or sums.summed <> totals.value
