{{ config(meta={'dagster': {'ref': {'name': 'mart_carers_survey_measures'}}}) }}
-- The Survey of Adult Carers' published England and regional figures against their councils. Each
-- is NHS England's weighted estimate over every responding carer in the area, so it is a weighted
-- mean of the councils' own estimates and cannot lie outside their range; a printed total more
-- than one unit of the published rounding (0.1) beyond the lowest or highest council is a misread
-- table (a total row taken for another area or measure) or a publisher's error. Checked only where
-- every council of the area appears in the table and none is suppressed (a suppressed council's
-- carers are in the total but its value is not shown); the mart's reconciliation column says why
-- another row was not checked. The range is recomputed here rather than read from that column, so
-- the column is checked too.
select financial_year, la_code, area_name, measure_code, value, council_min_value, council_max_value, reconciliation
from {{ ref('mart_carers_survey_measures') }}
where area_level <> 'council'
  and (
    reconciliation = 'outside_council_range'
    or (
        value is not null
        and councils_in_table = councils_in_area
        and councils_suppressed = 0
        and councils_reported > 0
        and (round(value - council_min_value, 6) < -0.1 or round(council_max_value - value, 6) < -0.1)
    )
  )
