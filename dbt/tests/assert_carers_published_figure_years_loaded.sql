{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'mart_carers_region_year'}}}) }}
-- Warns when carers data is loaded but a year the shared reference has figures for is not, so the
-- figure test had nothing to compare (the bundled Oflog file covers 2015-16 to 2022-23). A
-- warehouse with no carers data at all (another family built alone) has nothing to warn about.
select figure_id, period
from {{ ref('published_figures') }}
where family = 'carers' and figure_id like 'ascof_%' and expected_from_shared_data is not null
  and exists (select 1 from {{ ref('mart_carers_region_year') }})
  and period not in (select distinct financial_year from {{ ref('mart_carers_region_year') }})
