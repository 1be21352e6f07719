{{ config(meta={'dagster': {'ref': {'name': 'mart_carers_survey_measures'}}}) }}
-- The Survey of Adult Carers' published England and regional figures against their councils. Each
-- is NHS England's weighted estimate over every responding carer in the area, so it is a weighted
-- mean of the councils' own estimates and cannot lie outside their range; a printed total more
-- than one unit of the published rounding (0.1) beyond the lowest or highest council is a misread
-- table (a total row taken for another area or measure) or a publisher's error. Checked only where
-- every council of the area appears in the table and none is suppressed (a suppressed council's
-- carers are in the total but its value is not shown); the mart's reconciliation column says why
-- another row was not checked.
select financial_year, la_code, area_name, measure_code, value, council_min_value, council_max_value, councils_reported
from {{ ref('mart_carers_survey_measures') }}
where reconciliation = 'outside_council_range'
