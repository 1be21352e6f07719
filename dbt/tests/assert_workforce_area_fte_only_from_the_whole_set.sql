{{ config(meta={'dagster': {'ref': {'name': 'mart_workforce_region_month'}}}) }}
-- A region or England staff FTE row sums the whole set of organisations the publisher counted
-- that month, or is not there: every such row's month must be one whose organisations are all
-- from a publication that lists every organisation (the nationality workbook), and England must
-- count every organisation loaded for the month. Returns the rows built from part of the set,
-- e.g. England from the one-trust Workforce Statistics excerpt (2009-09, 2010-09).
with months as (
    select
        month_start,
        bool_and(layout = 'nationality_data_sheet') as is_whole_set,
        count(distinct org_code) as organisations
    from {{ ref('fct_staff_fte_org_month') }}
    group by month_start
)

select mart.month_start, mart.region_code, mart.breakdown_value, mart.organisations, months.is_whole_set
from {{ ref('mart_workforce_region_month') }} as mart
left join months using (month_start)
where mart.measure = 'staff_fte'
  and (
    months.is_whole_set is distinct from true
    or (mart.region_code = 'ENG' and mart.breakdown_value = 'All staff groups' and mart.organisations <> months.organisations)
  )
