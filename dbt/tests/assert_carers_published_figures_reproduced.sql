{{ config(meta={'dagster': {'ref': {'name': 'mart_carers_region_year'}}}) }}
-- The ASCOF medians in the shared reference (published_figures.csv, family carers): the England
-- median across councils, and the number of councils with a value the note gives ("149 councils
-- with a value"). Returns every figure the mart does not reproduce exactly; a figure whose year is
-- not loaded is left to assert_carers_published_figure_years_loaded (a warning: a partial
-- warehouse is not wrong).
with expected as (
    select
        figure_id,
        period as financial_year,
        upper(regexp_extract(figure_id, '^ascof_([0-9a-z]+)_median_', 1)) as measure_code,
        expected_from_shared_data as expected_median,
        try_cast(regexp_extract(note, '([0-9]+) councils with a value', 1) as integer) as expected_councils
    from {{ ref('published_figures') }}
    where family = 'carers' and figure_id like 'ascof_%_median_%' and expected_from_shared_data is not null
)

select
    expected.*,
    england.median_value as actual_median,
    england.councils_with_value as actual_councils
from expected
left join {{ ref('mart_carers_region_year') }} as england
    on england.is_england
    and england.financial_year = expected.financial_year
    and england.measure_code = expected.measure_code
where expected.financial_year in (select distinct financial_year from {{ ref('mart_carers_region_year') }})
  and (
    england.median_value is null
    or england.median_value <> expected.expected_median
    or (expected.expected_councils is not null and england.councils_with_value <> expected.expected_councils)
  )
