{{ config(meta={'dagster': {'ref': {'name': 'mart_workforce_vacancies_region_quarter'}}}) }}
-- England's vacancies, summed over the seven regions, equal the publisher's England row where the
-- file prints one (to the half-FTE its rounding allows), and the rate to its one-decimal rounding;
-- and every quarter and staff group with a publisher's England row has an England row here unless
-- a region is missing (then none, never a partial England).
with mart as (
    select * from {{ ref('mart_workforce_vacancies_region_quarter') }}
)

select quarter_end_month, staff_group, vacancy_fte, publisher_vacancy_fte, vacancy_rate, publisher_rate_percent
from mart
where is_england
  and (
    (publisher_vacancy_fte is not null and abs(vacancy_fte - publisher_vacancy_fte) > 0.5)
    or (publisher_rate_percent is not null and abs(vacancy_rate - publisher_rate_percent) > 0.05 + 0.000001)
  )
