-- NHS Vacancy Statistics per NHS England region, staff group and quarter, leaf rows only (England
-- and All staff groups rows are the publisher's totals, kept in raw nhs_vacancies__totals). The rate
-- is recomputed the publisher's way: vacancies over the planned workforce (establishment), which is
-- staff in post plus vacancies; the publisher's rounded rate is kept beside it.
with vacancies as (
    select * from {{ ref('stg_workforce__vacancies') }}
),

regions as (
    select * from {{ ref('dim_region') }}
)

select
    vacancies.quarter_end_month,
    vacancies.published_period,
    vacancies.region_code,
    coalesce(regions.region_name, vacancies.publisher_region_name) as region_name,
    vacancies.staff_group,
    vacancies.vacancy_fte,
    vacancies.planned_workforce_fte,
    vacancies.planned_workforce_fte - vacancies.vacancy_fte as staff_in_post_fte,
    {{ percent('vacancies.vacancy_fte', 'vacancies.planned_workforce_fte') }} as vacancy_rate,
    vacancies.vacancy_rate_percent as publisher_rate_percent,
    vacancies.source_file_name,
    vacancies.source_file_sha256
from vacancies
left join regions on regions.region_code = vacancies.region_code
