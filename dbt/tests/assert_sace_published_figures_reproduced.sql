{{ config(meta={'dagster': {'ref': {'name': 'stg_sace__council_tables'}}}) }}
-- Survey of Adult Carers figures in the shared reference (e.g. 2021-22 ASCOF 3B for England,
-- 36.3%) against the England row of the survey's own tables, once those tables are loaded. No
-- SACE file is bundled, so until one is loaded there is nothing to compare and the test passes.
with expected as (
    select
        figure_id,
        period as financial_year,
        upper(regexp_extract(figure_id, '^sace_([0-9a-z]+)_england_', 1)) as measure_code,
        published_value,
        try_cast(tolerance as double) as tolerance
    from {{ ref('published_figures') }}
    where family = 'carers' and figure_id like 'sace_%_england_%'
),

england as (
    select _period as financial_year, measure_code, value
    from {{ source('carers', 'sace_council_tables__totals') }}
    where la_code = 'E92000001'
)

select expected.*, england.value as actual
from expected
join england using (financial_year, measure_code)
where england.value is null or abs(england.value - expected.published_value) > coalesce(expected.tolerance, 0)
