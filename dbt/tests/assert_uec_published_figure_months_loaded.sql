{{ config(meta={'dagster': {'ref': {'name': 'mart_uec_region_month'}}}) }}
{{ config(severity='warn') }}
-- Warns when a month a published UEC figure comes from is not in the warehouse, so the figure
-- test above cannot check it.
select distinct cast(period || '-01' as date) as month_start
from {{ ref('published_figures') }}
where family = 'uec' and expected_from_shared_data is not null
  and cast(period || '-01' as date) not in (select month_start from {{ ref('mart_uec_region_month') }})
