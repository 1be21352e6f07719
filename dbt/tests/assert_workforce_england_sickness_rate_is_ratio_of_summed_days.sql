{{ config(meta={'dagster': {'ref': {'name': 'mart_workforce_region_month'}}}) }}
-- England's sickness absence rate each month equals the ratio of FTE days lost to FTE days
-- available summed over every organisation in the file (not a mean of organisations' rates), and
-- the regions (with the national bodies) add up to England.
with organisations as (
    select month_start, sum(fte_days_lost) as days_lost, sum(fte_days_available) as days_available
    from {{ ref('fct_sickness_absence_org_month') }}
    group by month_start
),

mart as (
    select * from {{ ref('mart_workforce_region_month') }}
    where measure = 'sickness_absence' and breakdown_value = 'All organisation types'
),

england as (
    select * from mart where region_code = 'ENG'
),

regions as (
    select month_start, sum(fte_days_lost) as days_lost, sum(fte_days_available) as days_available
    from mart where region_code <> 'ENG'
    group by month_start
)

select organisations.month_start, england.sickness_absence_rate, 100 * organisations.days_lost / organisations.days_available as expected_rate
from organisations
left join england using (month_start)
left join regions using (month_start)
where england.sickness_absence_rate is null
   or abs(england.sickness_absence_rate - 100 * organisations.days_lost / organisations.days_available) > 1e-9
   or abs(regions.days_lost - organisations.days_lost) > 1e-6
   or abs(regions.days_available - organisations.days_available) > 1e-6
