{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'mart_carers_region_year'}}}) }}
-- Warns when a year the shared reference has carers figures for is not loaded, so the figure
-- test above had nothing to compare (the bundled Oflog file covers 2015-16 to 2022-23).
select figure_id, period
from {{ ref('published_figures') }}
where family = 'carers' and figure_id like 'ascof_%' and expected_from_shared_data is not null
  and period not in (select distinct financial_year from {{ ref('mart_carers_region_year') }})
